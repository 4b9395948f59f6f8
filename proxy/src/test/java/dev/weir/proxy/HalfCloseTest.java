package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.sample.BackendSample;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A FIN from either side reaches the other side, and the other direction keeps flowing after it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HalfCloseTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void backendAnswersAfterTheClientsFin(String transport) throws Exception {
        // The backend replies only once it has seen the client's EOF (like a request/response over a half-closed socket).
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (Socket s = backend.accept()) {
                    byte[] got = s.getInputStream().readAllBytes();
                    s.getOutputStream().write(("got " + got.length + " bytes: "
                            + new String(got, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + backend.getLocalPort()).transport(transport).start();
                 Socket client = proxy.connect()) {
                client.getOutputStream().write("request".getBytes(StandardCharsets.UTF_8));
                client.shutdownOutput();
                String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).isEqualTo("got 7 bytes: request");
                served.get(10, TimeUnit.SECONDS);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void clientKeepsSendingAfterTheBackendsFin(String transport) throws Exception {
        // The backend speaks, shuts its output, then still reads the client until EOF.
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
                try (Socket s = backend.accept()) {
                    s.getOutputStream().write("hello, then FIN".getBytes(StandardCharsets.UTF_8));
                    s.shutdownOutput();
                    return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + backend.getLocalPort()).transport(transport).start();
                 Socket client = proxy.connect()) {
                InputStream in = client.getInputStream();
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello, then FIN");
                client.getOutputStream().write("sent after the backend's FIN".getBytes(StandardCharsets.UTF_8));
                client.shutdownOutput();
                assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo("sent after the backend's FIN");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void bytesAndFinSentBeforeTheBackendConnectsAreNotLost(String transport) throws Exception {
        // The client writes and half-closes at once; Weir must queue both until the backend is connected.
        BackendSample echo = BackendSample.start("echo", "127.0.0.1", 0, null);
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + echo.port()).transport(transport).start()) {
            for (int i = 0; i < 20; i++) {
                try (Socket client = new Socket()) {
                    client.connect(proxy.address("l"));
                    client.setSoTimeout(10_000);
                    client.getOutputStream().write(("early " + i).getBytes(StandardCharsets.UTF_8));
                    client.shutdownOutput();
                    ByteArrayOutputStream got = new ByteArrayOutputStream();
                    client.getInputStream().transferTo(got);
                    assertThat(got.toString(StandardCharsets.UTF_8)).isEqualTo("early " + i);
                }
            }
        } finally {
            echo.close();
        }
    }

    /**
     * A client that half-closes, then reads a large answer slowly: Weir must wait for the client's socket
     * to take more (write interest on a socket whose input is already shut down) and deliver every byte.
     * On epoll (Netty 4.2.18) that wait used to fail with ENOENT and close the client mid-answer.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void slowReaderAfterItsOwnFinGetsTheWholeAnswer(String transport) throws Exception {
        long total = 32L << 20;
        CountDownLatch clientReading = new CountDownLatch(1);
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<byte[]> served = CompletableFuture.supplyAsync(() -> {
                try (Socket s = backend.accept()) {
                    assertThat(s.getInputStream().readAllBytes()).hasSize(7);
                    MessageDigest sent = MessageDigest.getInstance("SHA-256");
                    OutputStream out = s.getOutputStream();
                    byte[] chunk = new byte[64 * 1024];
                    long seed = 7;
                    for (long written = 0; written < total; written += chunk.length) {
                        seed = Sockets.pseudoRandom(chunk, seed);
                        out.write(chunk);
                        sent.update(chunk);
                    }
                    s.shutdownOutput();
                    clientReading.await(60, TimeUnit.SECONDS);
                    return sent.digest();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + backend.getLocalPort()).transport(transport)
                    .set("listeners.l.write-buffer", TestConfig.map("low", "32KiB", "high", "64KiB")).start();
                 Socket client = proxy.connect()) {
                client.getOutputStream().write("request".getBytes(StandardCharsets.UTF_8));
                client.shutdownOutput();
                // Not reading yet: Weir's writes to the client stall and it holds bytes for it.
                await().atMost(Duration.ofSeconds(30)).until(() -> proxy.weir().bufferedBytes() >= 64 * 1024);
                Sockets.Digested got = Sockets.digestToEof(client.getInputStream());
                clientReading.countDown();
                assertThat(got.bytes()).isEqualTo(total);
                assertThat(got.sha256()).isEqualTo(served.get(10, TimeUnit.SECONDS));
            }
        }
    }

    /**
     * A client that half-closes and then resets, while its backend stays silent: Weir's event loops stay
     * idle (the epoll workaround keeps the socket in epoll's set, edge-triggered, so the reset is not
     * reported on every loop turn), and the backend connection is still served.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void resetAfterFinDoesNotKeepTheLoopBusy(String transport) throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return backend.accept();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + backend.getLocalPort()).transport(transport).start();
                 Socket client = proxy.connect();
                 Socket server = accepted.get(10, TimeUnit.SECONDS)) {
                client.getOutputStream().write("request".getBytes(StandardCharsets.UTF_8));
                client.shutdownOutput();
                assertThat(server.getInputStream().readAllBytes()).as("request and FIN reach the backend").hasSize(7);
                client.setSoLinger(true, 0);
                client.close();
                Hygiene.assertLoopsIdle("a client's reset after its FIN");
            }
        }
    }
}
