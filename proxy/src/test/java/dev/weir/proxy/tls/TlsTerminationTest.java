package dev.weir.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.Sockets;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.api.ReloadResult;
import dev.weir.proxy.api.StartException;
import dev.weir.proxy.transport.Transport;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A listener that terminates TLS: real handshakes with JDK clients on loopback, certificates made by the test,
 * plaintext to a backend-sample echo server behind it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsTerminationTest {

    @TempDir
    static Path dir;
    private static TestPki.Issued ca;
    private static TestPki.Issued otherCa;
    private static TestPki.Files2 web;
    private static TestPki.Files2 star;
    private static BackendSample echo;

    @BeforeAll
    static void start() throws Exception {
        ca = TestPki.ca("weir test ca");
        otherCa = TestPki.ca("another ca");
        web = ca.issue("web.test", "web.test").write(dir, "web");
        star = ca.issue("b.test wildcard", "*.b.test").write(dir, "star");
        echo = BackendSample.start("e", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() {
        echo.close();
    }

    private static Map<String, Object> cert(TestPki.Files2 f) {
        return TestConfig.map("cert", f.cert().toString(), "key", f.key().toString());
    }

    private static TestConfig terminating(Map<String, Object> tls) {
        return TestConfig.to(TestConfig.local(echo.port())).set("listeners.l.tls", tls);
    }

    private static SSLSocket client(RunningWeir proxy, SSLContext ctx, String sni, String... protocols)
            throws IOException {
        return TlsClients.connect(proxy.address(), ctx, sni, protocols);
    }

    static Stream<String> transports() {
        return Transport.available().stream().map(Transport::name);
    }

    private static final int CLIENTS = 200;

    /**
     * 200 clients at once, alternating TLS 1.2 and 1.3, each sending 1-4 MiB and reading its echo: every client
     * finishes its handshake, then all start sending together, so the 200 transfers overlap.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void twoHundredConcurrentClientsOfBothVersionsAreRelayedByteExact(String transport) throws Exception {
        SSLContext ctx = TestPki.client(ca, null);
        try (RunningWeir proxy = terminating(TestConfig.map("certificates", List.of(cert(web))))
                .transport(transport).start()) {
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            CountDownLatch handshaken = new CountDownLatch(CLIENTS);
            CountDownLatch go = new CountDownLatch(1);
            try {
                List<Future<String>> results = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++) {
                    String version = i % 2 == 0 ? "TLSv1.2" : "TLSv1.3";
                    int size = (1 << 20) + (int) ((i * 2_654_435_761L) % (3 << 20)); // 1 MiB to just under 4 MiB
                    long seed = i;
                    results.add(pool.submit(() -> roundTrip(proxy, ctx, version, size, seed, handshaken, go)));
                }
                assertThat(handshaken.await(60, TimeUnit.SECONDS)).as("every client handshaken").isTrue();
                assertThat(proxy.weir().activeConnections()).as("all 200 open at once").isEqualTo(CLIENTS);
                go.countDown();
                for (int i = 0; i < CLIENTS; i++) {
                    assertThat(results.get(i).get(90, TimeUnit.SECONDS)).isEqualTo(i % 2 == 0 ? "TLSv1.2" : "TLSv1.3");
                }
            } finally {
                go.countDown();
                pool.shutdownNow();
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> proxy.metrics().closedCount("CLIENT_CLOSED") == CLIENTS);
            assertThat(proxy.counted("weir.tls.handshakes", "result", "ok")).isEqualTo(CLIENTS);
        }
    }

    /**
     * Handshakes, waits for {@code go}, then sends {@code size} pseudo-random bytes from one thread while this one
     * reads the echo; compares digests (nothing is held in memory whole); returns the negotiated version.
     */
    private static String roundTrip(RunningWeir proxy, SSLContext ctx, String version, int size, long seed,
                                    CountDownLatch handshaken, CountDownLatch go) throws Exception {
        try (SSLSocket s = client(proxy, ctx, "web.test", version)) {
            s.setSoTimeout(60_000);
            s.startHandshake();
            handshaken.countDown();
            go.await();
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    byte[] chunk = new byte[16 * 1024];
                    long next = seed;
                    for (int off = 0; off < size; off += chunk.length) {
                        int n = Math.min(chunk.length, size - off);
                        next = Sockets.pseudoRandom(chunk, next);
                        out.write(chunk, 0, n);
                        sent.update(chunk, 0, n);
                    }
                    out.flush();
                } catch (IOException ignored) {
                    // The reader sees the short echo and fails the test.
                }
            });
            writer.start();
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            InputStream in = s.getInputStream();
            long read = 0;
            for (int n; read < size && (n = in.read(buf, 0, (int) Math.min(buf.length, size - read))) != -1; ) {
                got.update(buf, 0, n);
                read += n;
            }
            writer.join();
            assertThat(read).isEqualTo(size);
            assertThat(got.digest()).isEqualTo(sent.digest());
            return s.getSession().getProtocol();
        }
    }

    @Test
    void sniChoosesTheCertificateExactThenWildcardAndNoSniGetsTheFirst() throws Exception {
        SSLContext ctx = TestPki.client(ca, null);
        try (RunningWeir proxy = terminating(TestConfig.map("certificates", List.of(cert(web), cert(star)))).start()) {
            assertThat(servedSubject(proxy, ctx, "web.test")).contains("CN=web.test");
            assertThat(servedSubject(proxy, ctx, "x.b.test")).contains("CN=b.test wildcard");
            assertThat(servedSubject(proxy, ctx, null)).contains("CN=web.test");
            assertThat(servedSubject(proxy, ctx, "a.x.b.test")).as("a wildcard matches one label").contains("CN=web.test");
            assertThat(servedSubject(proxy, ctx, "unknown.test")).contains("CN=web.test");
        }
    }

    private static String servedSubject(RunningWeir proxy, SSLContext unused, String sni) throws IOException {
        // A fresh client each time: a cached session would be resumed with the certificate it started with.
        SSLContext ctx = TestPki.client(ca, null);
        try (SSLSocket s = client(proxy, ctx, sni)) {
            s.setSSLParameters(withoutNameCheck(s.getSSLParameters()));
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }

    private static SSLParameters withoutNameCheck(SSLParameters p) {
        p.setEndpointIdentificationAlgorithm(null);
        return p;
    }

    @Test
    void requiredClientAuthTurnsAwayClientsWithoutTheRightCertificateBeforeAnyBackendConnect() throws Exception {
        Path clientCa = ca.writeCert(dir.resolve("clients-ca.pem"));
        TestPki.Issued alice = ca.issue("alice");
        TestPki.Issued mallory = otherCa.issue("mallory");
        try (RunningWeir proxy = terminating(TestConfig.map("certificates", List.of(cert(web)),
                "client-auth", "required", "client-ca", clientCa.toString())).start()) {
            assertThat(refused(proxy, TestPki.client(ca, null))).as("no client certificate").isTrue();
            assertThat(refused(proxy, TestPki.client(ca, mallory))).as("a certificate from another CA").isTrue();
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> proxy.metrics().closedCount("TLS_HANDSHAKE_FAILED") == 2);
            // The JDK's client sends no certificate when its own is not from a CA the server asked for.
            assertThat(proxy.counted("weir.tls.handshakes", "result", "no_certificate")).isEqualTo(2.0);
            assertThat(totalBackendConnections(proxy)).as("the backend saw no connection").isZero();

            try (SSLSocket s = client(proxy, TestPki.client(ca, alice), "web.test")) {
                s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(s.getInputStream().readNBytes(2), StandardCharsets.US_ASCII)).isEqualTo("e\n");
            }
            assertThat(totalBackendConnections(proxy)).isEqualTo(1);
        }
    }

    /** True when the handshake fails or the connection ends before any byte of an answer. */
    private static boolean refused(RunningWeir proxy, SSLContext ctx) {
        try (SSLSocket s = client(proxy, ctx, "web.test")) {
            s.startHandshake();
            s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
            return s.getInputStream().read() == -1;
        } catch (IOException e) {
            return true;
        }
    }

    private static long totalBackendConnections(RunningWeir proxy) {
        return proxy.weir().backends("p").stream().mapToLong(b -> b.totalConnections()).sum();
    }

    @Test
    void notTlsAndASilentClientAreClosedWithTheirReasonAndCounted() throws Exception {
        try (RunningWeir proxy = terminating(TestConfig.map("certificates", List.of(cert(web)),
                "handshake-timeout", "300ms")).start();
             Socket plain = new Socket();
             Socket silent = new Socket()) {
            plain.setSoTimeout(10_000);
            plain.connect(proxy.address(), 5_000);
            plain.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readToEnd(plain.getInputStream())).as("no plaintext reaches a client").doesNotContain("HTTP");
            silent.setSoTimeout(10_000);
            silent.connect(proxy.address(), 5_000);
            assertThat(silent.getInputStream().read()).as("closed at the handshake timeout").isEqualTo(-1);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> proxy.metrics().closedCount("TLS_HANDSHAKE_FAILED") == 2);
            assertThat(proxy.counted("weir.tls.handshakes", "result", "not_tls")).isEqualTo(1.0);
            assertThat(proxy.counted("weir.tls.handshakes", "result", "timeout")).isEqualTo(1.0);
            assertThat(totalBackendConnections(proxy)).isZero();
        }
    }

    private static String readToEnd(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return ""; // reset: nothing was sent back either
        }
    }

    @Test
    void aBackendThatClosesEndsTheTlsStreamCleanly() throws Exception {
        try (ServerSocket bye = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (Socket s = bye.accept()) {
                    s.getOutputStream().write("bye\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException ignored) {
                    // The client's assertion reports it.
                }
            });
            server.start();
            try (RunningWeir proxy = TestConfig.to(TestConfig.local(bye.getLocalPort()))
                    .set("listeners.l.tls", TestConfig.map("certificates", List.of(cert(web)))).start();
                 SSLSocket s = client(proxy, TestPki.client(ca, null), "web.test")) {
                s.startHandshake();
                InputStream in = s.getInputStream();
                assertThat(new String(in.readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("bye\n");
                assertThat(in.read()).as("close_notify, then the end of the stream").isEqualTo(-1);
            }
            server.join(10_000);
        }
    }

    @Test
    void aReloadServesRenewedCertificatesAndKeepsThemWhenTheNewFilesAreBroken() throws Exception {
        Path certFile = dir.resolve("renewed.pem");
        Path keyFile = dir.resolve("renewed.key");
        TestPki.Issued first = ca.issue("web.test", "web.test");
        copy(first.write(dir, "first"), certFile, keyFile);
        Map<String, Object> tls = TestConfig.map("certificates",
                List.of(TestConfig.map("cert", certFile.toString(), "key", keyFile.toString())));
        SSLContext ctx = TestPki.client(ca, null);
        try (RunningWeir proxy = terminating(tls).start()) {
            assertThat(servedSerial(proxy, ctx)).isEqualTo(first.serial());
            assertThat(expiry(proxy)).isEqualTo(first.cert().getNotAfter().getTime() / 1000);

            TestPki.Issued second = ca.issue("web.test", "web.test");
            copy(second.write(dir, "second"), certFile, keyFile);
            ReloadResult renewed = proxy.weir().reload(proxy.weir().config());
            assertThat(renewed.outcome()).as(String.valueOf(renewed)).isEqualTo(ReloadResult.Outcome.RELOADED);
            assertThat(renewed.changes()).containsExactly("listener l: certificates reloaded");
            assertThat(servedSerial(proxy, ctx)).isEqualTo(second.serial());
            assertThat(expiry(proxy)).isEqualTo(second.cert().getNotAfter().getTime() / 1000);
            assertThat(proxy.counted("weir.tls.handshakes", "result", "ok")).isEqualTo(2.0);

            Files.writeString(certFile, "not a certificate\n");
            ReloadResult broken = proxy.weir().reload(proxy.weir().config());
            assertThat(broken.outcome()).isEqualTo(ReloadResult.Outcome.FAILED);
            assertThat(broken.errors()).singleElement().asString().startsWith("listeners.l.tls.certificates[0].cert: ");
            assertThat(servedSerial(proxy, ctx)).as("the running certificate stays").isEqualTo(second.serial());

            copy(second.write(dir, "second"), certFile, keyFile);
            assertThat(proxy.weir().reload(proxy.weir().config()).outcome())
                    .as("the same files again: nothing to do").isEqualTo(ReloadResult.Outcome.UNCHANGED);
        }
    }

    /** The one expiry gauge of listener l (its only certificate). */
    private static long expiry(RunningWeir proxy) {
        var gauges = proxy.registry().find("weir.tls.certificate.expiry").tag("listener", "l").gauges();
        assertThat(gauges).hasSize(1);
        return (long) gauges.iterator().next().value();
    }

    private static void copy(TestPki.Files2 from, Path cert, Path key) throws IOException {
        Files.copy(from.cert(), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(from.key(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static BigInteger servedSerial(RunningWeir proxy, SSLContext ctx) throws IOException {
        try (SSLSocket s = client(proxy, ctx, "web.test")) {
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    @Test
    void aStartWithABadFileNamesItsPathAndReason() throws Exception {
        Path missing = dir.resolve("missing.key");
        assertThatThrownBy(() -> terminating(TestConfig.map("certificates",
                List.of(TestConfig.map("cert", web.cert().toString(), "key", missing.toString())))).start())
                .isInstanceOf(StartException.class)
                .hasMessage("listeners.l.tls.certificates[0].key: " + missing + ": no such file");
        TestPki.Files2 otherKey = ca.issue("web.test", "web.test").write(dir, "other");
        assertThatThrownBy(() -> terminating(TestConfig.map("certificates",
                List.of(TestConfig.map("cert", web.cert().toString(), "key", otherKey.key().toString())))).start())
                .isInstanceOf(StartException.class)
                .hasMessageStartingWith("listeners.l.tls.certificates[0].key: " + otherKey.key() + " does not match");
        Path notPem = Files.writeString(dir.resolve("garbage.pem"), "hello\n");
        assertThatThrownBy(() -> terminating(TestConfig.map("certificates",
                List.of(TestConfig.map("cert", notPem.toString(), "key", web.key().toString())))).start())
                .isInstanceOf(StartException.class)
                .hasMessageStartingWith("listeners.l.tls.certificates[0].cert: ");
        assertThat(Arrays.asList(dir.toFile().list())).isNotEmpty();
    }

    @Test
    void anIdleTlsConnectionIsClosedAtTheIdleTimeout() throws Exception {
        try (RunningWeir proxy = terminating(TestConfig.map("certificates", List.of(cert(web))))
                .set("listeners.l.idle-timeout", "500ms").start();
             SSLSocket s = client(proxy, TestPki.client(ca, null), "web.test")) {
            s.startHandshake();
            s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.getInputStream().readNBytes(2), StandardCharsets.US_ASCII)).isEqualTo("e\n");
            assertThat(readToEnd(s.getInputStream())).isEmpty();
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.metrics().closedCount("IDLE_TIMEOUT") == 1);
        }
    }

    @Test
    void withReloadWatchARenewalInPlaceIsServedWithoutAReloadCall() throws Exception {
        Path certFile = dir.resolve("watched.pem");
        Path keyFile = dir.resolve("watched.key");
        TestPki.Issued first = ca.issue("web.test", "web.test");
        copy(first.write(dir, "w1"), certFile, keyFile);
        SSLContext ctx = TestPki.client(ca, null);
        try (RunningWeir proxy = terminating(TestConfig.map("certificates",
                List.of(TestConfig.map("cert", certFile.toString(), "key", keyFile.toString()))))
                .set("reload.watch", true).start()) {
            assertThat(servedSerial(proxy, TestPki.client(ca, null))).isEqualTo(first.serial());
            TestPki.Issued second = ca.issue("web.test", "web.test");
            copy(second.write(dir, "w2"), certFile, keyFile);
            // Each look a new client: a cached session would be resumed with the certificate it began with.
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> servedSerial(proxy, TestPki.client(ca, null)).equals(second.serial()));
            assertThat(proxy.counted("weir.reloads", "result", "RELOADED")).isGreaterThanOrEqualTo(1.0);
        }
    }

    @Test
    void theAccessLogSaysTheTlsSession() throws Exception {
        ch.qos.logback.classic.Logger access = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("weir.access");
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
                new ch.qos.logback.core.read.ListAppender<>();
        ch.qos.logback.classic.Level before = access.getLevel();
        access.setLevel(ch.qos.logback.classic.Level.INFO);
        lines.start();
        access.addAppender(lines);
        Path clientCa = ca.writeCert(dir.resolve("log-clients-ca.pem"));
        try (RunningWeir proxy = terminating(TestConfig.map("certificates", List.of(cert(web)),
                "client-auth", "optional", "client-ca", clientCa.toString(), "alpn", List.of("h2", "x-weir"))).start()) {
            try (SSLSocket s = client(proxy, TestPki.client(ca, ca.issue("alice")), "web.test", "TLSv1.3")) {
                SSLParameters p = s.getSSLParameters();
                p.setApplicationProtocols(new String[] {"x-weir"});
                s.setSSLParameters(p);
                s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(s.getInputStream().readNBytes(2), StandardCharsets.US_ASCII)).isEqualTo("e\n");
            }
            try (SSLSocket s = client(proxy, TestPki.client(ca, null), null, "TLSv1.2")) {
                s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(s.getInputStream().readNBytes(2), StandardCharsets.US_ASCII)).isEqualTo("e\n");
            }
            // Not TLS at all: the line names the reason and the handshake's cause.
            try (Socket plain = new Socket()) {
                plain.setSoTimeout(10_000);
                plain.connect(proxy.address(), 5_000);
                plain.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(plain.getInputStream().read(new byte[64])).isEqualTo(-1);
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> lines.list.size() >= 3);
            List<String> logged = lines.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                    .toList();
            assertThat(logged).anySatisfy(l -> assertThat(l).contains(" reason=TLS_HANDSHAKE_FAILED")
                    .endsWith(" tls_error=not_tls"));
            assertThat(logged).anySatisfy(l -> assertThat(l).contains(" tls=TLSv1.3 cipher=TLS_")
                    .endsWith(" sni=web.test alpn=x-weir client_cert=\"CN=alice\""));
            assertThat(logged).anySatisfy(l -> assertThat(l).contains(" tls=TLSv1.2 cipher=TLS_")
                    .endsWith(" sni=- alpn=- client_cert=-"));
        } finally {
            access.detachAppender(lines);
            access.setLevel(before);
        }
    }
}
