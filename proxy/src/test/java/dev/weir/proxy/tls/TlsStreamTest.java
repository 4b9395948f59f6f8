package dev.weir.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.Sockets;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.transport.Transport;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A terminated TLS stream behaves as a plaintext one: the backend's FIN reaches the client as close_notify then FIN
 * while the client keeps sending (TLS 1.3's half-closure: in TLS 1.2 a close_notify closes both directions); a client
 * that stops reading holds the backend back with Weir's memory bounded; a graceful shutdown lets a transfer in
 * flight finish. (The other way round, a client's close_notify, closes both directions with BoringSSL: docs/tls.md.)
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TlsStreamTest {

    private static final long TOTAL = 200L << 20;
    private static final int HIGH_WATERMARK = 64 * 1024;
    private static final int MAX_READ = 64 * 1024;
    /** What TLS adds to what Weir holds for the client: one record's plaintext not yet encrypted, and headers. */
    private static final int TLS_RECORD = 16 * 1024 + 256;

    @TempDir
    static Path dir;
    private static TestPki.Issued ca;
    private static TestPki.Files2 web;

    @BeforeAll
    static void pki() {
        ca = TestPki.ca("stream ca");
        web = ca.issue("web.test", "web.test").write(dir, "web");
    }

    static Stream<String> transports() {
        return Transport.available().stream().map(Transport::name);
    }

    private static TestConfig terminating(int backendPort, String transport) {
        return TestConfig.to("127.0.0.1:" + backendPort).transport(transport).set("listeners.l.tls", TestConfig.map(
                "certificates", List.of(TestConfig.map("cert", web.cert().toString(), "key", web.key().toString()))));
    }

    private static SSLSocket client(RunningWeir proxy) throws IOException {
        SSLSocket s = (SSLSocket) TestPki.client(ca, null).getSocketFactory().createSocket();
        s.setSoTimeout(30_000);
        s.connect(proxy.address(), 5_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName("web.test")));
        p.setProtocols(new String[] {"TLSv1.3"});
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void theClientKeepsSendingAfterTheBackendsFin(String transport) throws Exception {
        // The backend speaks, shuts its output, then still reads the client until EOF.
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
                try (Socket s = backend.accept()) {
                    s.getOutputStream().write("hello, then FIN".getBytes(StandardCharsets.UTF_8));
                    s.shutdownOutput();
                    return s.getInputStream().readAllBytes();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (RunningWeir proxy = terminating(backend.getLocalPort(), transport).start();
                 SSLSocket client = client(proxy)) {
                InputStream in = client.getInputStream();
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).as("then close_notify: the end")
                        .isEqualTo("hello, then FIN");
                byte[] after = new byte[1 << 20];
                Sockets.pseudoRandom(after, 9);
                client.getOutputStream().write(after);
                client.shutdownOutput();
                assertThat(received.get(20, TimeUnit.SECONDS)).as("sent after the backend's FIN").isEqualTo(after);
                await().atMost(Duration.ofSeconds(5)).until(() -> proxy.metrics().closedCount("BACKEND_CLOSED") == 1);
            }
        }
    }

    /**
     * A client that stops reading while its backend sends 200 MiB: Weir stops reading the backend, holding no more
     * for the connection than the high watermark, one read and one TLS record; then every byte arrives intact. (On
     * io_uring Weir at times holds far more for a TLS client, up to about a MiB, docs/tls.md: there the bound is
     * loose.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void aClientThatStopsReadingHoldsTheBackendBackWithBoundedMemory(String transport) throws Exception {
        AtomicLong written = new AtomicLong();
        CountDownLatch clientDone = new CountDownLatch(1);
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<byte[]> source = CompletableFuture.supplyAsync(() -> {
                try (Socket s = backend.accept()) {
                    MessageDigest sent = MessageDigest.getInstance("SHA-256");
                    OutputStream out = s.getOutputStream();
                    byte[] chunk = new byte[64 * 1024];
                    long seed = 42;
                    while (written.get() < TOTAL) {
                        seed = Sockets.pseudoRandom(chunk, seed);
                        out.write(chunk);
                        sent.update(chunk);
                        written.addAndGet(chunk.length);
                    }
                    clientDone.await(60, TimeUnit.SECONDS);
                    return sent.digest();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (RunningWeir proxy = terminating(backend.getLocalPort(), transport).set("max-read", MAX_READ)
                    .set("listeners.l.write-buffer", TestConfig.map("low", "32KiB", "high", "64KiB")).start();
                 SSLSocket client = client(proxy)) {
                AtomicLong maxHeld = new AtomicLong();
                AtomicBoolean sampling = new AtomicBoolean(true);
                CompletableFuture<Void> sampler = CompletableFuture.runAsync(() -> {
                    while (sampling.get()) {
                        maxHeld.accumulateAndGet(proxy.weir().bufferedBytes(), Math::max);
                        Thread.onSpinWait();
                    }
                });
                // The client reads nothing: once the sockets' buffers are full, Weir must stop reading the backend.
                await().atMost(Duration.ofSeconds(30)).until(() -> proxy.weir().bufferedBytes() > 0);
                long[] last = {-1};
                java.util.concurrent.Callable<Boolean> backendHeld = () -> {
                    long now = written.get();
                    boolean stable = now == last[0];
                    last[0] = now;
                    return stable;
                };
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(backendHeld);
                assertThat(written.get()).as("the backend is held back, not drained into Weir's memory")
                        .isLessThan(TOTAL);
                sampling.set(false);
                sampler.get(5, TimeUnit.SECONDS);
                // On io_uring Weir at times holds up to about a MiB more for a TLS client (docs/tls.md, a known issue):
                // there only the hold-back above is checked, and the bytes below.
                long bound = transport.equals("io_uring") ? TOTAL / 8 : HIGH_WATERMARK + MAX_READ + TLS_RECORD;
                assertThat(maxHeld.get()).as("most bytes Weir held for the connection while its client did not read")
                        .isLessThanOrEqualTo(bound);

                MessageDigest got = MessageDigest.getInstance("SHA-256");
                InputStream in = client.getInputStream();
                byte[] buf = new byte[256 * 1024];
                long total = 0;
                for (int n; total < TOTAL && (n = in.read(buf)) != -1; ) {
                    got.update(buf, 0, n);
                    total += n;
                }
                clientDone.countDown();
                assertThat(total).isEqualTo(TOTAL);
                assertThat(got.digest()).isEqualTo(source.get(10, TimeUnit.SECONDS));
            }
        }
    }

    /**
     * A graceful shutdown (what SIGTERM runs) while a TLS transfer is under way: Weir stops accepting at once, the
     * transfer finishes byte-exact within the drain timeout, and nothing had to be closed at the deadline.
     */
    @Test
    void aTransferInFlightCompletesDuringTheShutdownDrain() throws Exception {
        BackendSample echo = BackendSample.start("e", "127.0.0.1", 0, null);
        try (RunningWeir proxy = terminating(echo.port(), "nio").set("shutdown.drain-timeout", "30s").start();
             SSLSocket client = client(proxy)) {
            java.net.InetSocketAddress at = proxy.address();
            int size = 16 << 20;
            AtomicLong received = new AtomicLong();
            CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    MessageDigest md = MessageDigest.getInstance("SHA-256");
                    byte[] buf = new byte[64 * 1024];
                    InputStream in = client.getInputStream();
                    for (int n; received.get() < size && (n = in.read(buf)) != -1; ) {
                        md.update(buf, 0, n);
                        received.addAndGet(n);
                    }
                    return md.digest();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            OutputStream out = client.getOutputStream();
            byte[] chunk = new byte[64 * 1024];
            long seed = 11;
            for (int off = 0; off < size / 2; off += chunk.length) {
                seed = Sockets.pseudoRandom(chunk, seed);
                out.write(chunk);
                sent.update(chunk);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> received.get() > 0);
            CompletableFuture<Integer> shutdown = CompletableFuture.supplyAsync(() -> {
                try {
                    return proxy.weir().shutdown();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.weir().isStopping());
            // New clients are refused once shutdown started, while the transfer goes on.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThatThrownBy(() -> new Socket(at.getAddress(), at.getPort()).close())
                            .isInstanceOf(IOException.class));
            for (int off = size / 2; off < size; off += chunk.length) {
                seed = Sockets.pseudoRandom(chunk, seed);
                out.write(chunk);
                sent.update(chunk);
            }
            assertThat(reader.get(60, TimeUnit.SECONDS)).isEqualTo(sent.digest());
            assertThat(received.get()).isEqualTo(size);
            assertThat(shutdown).as("still draining while the client is connected").isNotDone();
            client.close(); // the echo is complete: the client leaves, and so the drain ends
            assertThat(shutdown.get(30, TimeUnit.SECONDS)).as("connections closed at the deadline").isZero();
            assertThat(proxy.metrics().closedCount("SHUTDOWN")).isZero();
        } finally {
            echo.close();
        }
    }
}
