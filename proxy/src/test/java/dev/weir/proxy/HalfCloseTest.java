package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.sample.BackendSample;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
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
            try (Weir weir = Harness.start(Harness.config(transport, "", "", "127.0.0.1:" + backend.getLocalPort()));
                 Socket client = Harness.connect(weir)) {
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
            try (Weir weir = Harness.start(Harness.config(transport, "", "", "127.0.0.1:" + backend.getLocalPort()));
                 Socket client = Harness.connect(weir)) {
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
        try (Weir weir = Harness.start(Harness.config(transport, "", "", "127.0.0.1:" + echo.port()))) {
            for (int i = 0; i < 20; i++) {
                try (Socket client = new Socket()) {
                    client.connect(weir.listenerAddress("l"));
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
}
