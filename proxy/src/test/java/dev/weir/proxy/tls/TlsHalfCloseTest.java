package dev.weir.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.transport.Transport;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A TLS 1.3 client that finishes sending first (its close_notify, TLS 1.3 closing one direction only) while the echo
 * of its last bytes is still on its way back. With the JDK's provider every byte comes back. With BoringSSL, whose
 * Netty engine closes both directions on a close_notify, the rest cannot be sent: the client must then see a reset,
 * never a clean end after a truncated echo. A client whose answer was complete sees a clean end with either.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsHalfCloseTest {

    @TempDir
    static Path dir;
    private static TestPki.Issued ca;
    private static TestPki.Files2 web;
    private static BackendSample echo;

    @BeforeAll
    static void start() throws Exception {
        ca = TestPki.ca("weir test ca");
        web = ca.issue("web.test", "web.test").write(dir, "web");
        echo = BackendSample.start("e", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() {
        echo.close();
    }

    static Stream<Arguments> providersTransportsAndSockets() {
        return Stream.of("auto", "jdk").flatMap(provider -> Transport.available().stream().flatMap(t -> Stream.of(
                Arguments.of(provider, t.name(), false), Arguments.of(provider, t.name(), true))));
    }

    private static RunningWeir proxy(String provider, String transport) throws Exception {
        return TestConfig.to(TestConfig.local(echo.port())).transport(transport).set("tls-provider", provider)
                .set("listeners.l.tls", TestConfig.map("certificates",
                        List.of(TestConfig.map("cert", web.cert().toString(), "key", web.key().toString()))))
                .start();
    }

    /** {@code layered}: TLS over a socket the client connected itself, whose shutdownOutput sends no TCP FIN. */
    private static SSLSocket client(RunningWeir proxy, boolean layered) throws IOException {
        SSLContext ctx = TestPki.client(ca, null);
        SSLSocket s;
        if (layered) {
            Socket plain = new Socket();
            plain.connect(proxy.address(), 5_000);
            s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "web.test", proxy.address().getPort(), true);
        } else {
            s = (SSLSocket) ctx.getSocketFactory().createSocket();
            s.connect(proxy.address(), 5_000);
        }
        SSLParameters p = s.getSSLParameters();
        p.setProtocols(new String[] {"TLSv1.3"});
        s.setSSLParameters(p);
        s.setSoTimeout(30_000);
        s.startHandshake();
        return s;
    }

    @ParameterizedTest(name = "{0} {1} layered={2}")
    @MethodSource("providersTransportsAndSockets")
    void theEchoOfEverythingSentBeforeTheClientsCloseNotifyComesBackOrTheClientIsReset(String provider,
            String transport, boolean layered) throws Exception {
        int size = 8 << 20;
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        try (RunningWeir proxy = proxy(provider, transport); SSLSocket s = client(proxy, layered)) {
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (int off = 0; off < size; off += 64 * 1024) {
                        out.write(data, off, Math.min(64 * 1024, size - off));
                    }
                    out.flush();
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            InputStream in = s.getInputStream();
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            long read = 0;
            boolean reset = false;
            try {
                for (int n; (n = in.read(buf)) != -1; ) {
                    got.update(buf, 0, n);
                    read += n;
                }
            } catch (IOException e) {
                reset = true;
            }
            if (provider.equals("jdk") || !reset) {
                // A clean end means every byte: never a truncated stream that looks complete.
                assertThat(reset).as("reset with the JDK's provider").isFalse();
                assertThat(read).as("bytes echoed before a clean end of the stream").isEqualTo(size);
                assertThat(got.digest()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
                sent.get(30, TimeUnit.SECONDS);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} layered={2}")
    @MethodSource("providersTransportsAndSockets")
    void aClientThatHalfClosesAfterItsWholeAnswerSeesACleanEnd(String provider, String transport, boolean layered)
            throws Exception {
        try (RunningWeir proxy = proxy(provider, transport); SSLSocket s = client(proxy, layered)) {
            s.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            assertThat(new String(in.readNBytes(6), StandardCharsets.US_ASCII)).isEqualTo("hello\n");
            s.shutdownOutput();
            assertThat(in.read()).as("a clean end, no reset").isEqualTo(-1);
        }
    }
}
