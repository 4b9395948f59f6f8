package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.tls.TestPki;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TLS failure paths, on every transport: clients that send no TLS or stay silent through the handshake timeout, and
 * backends whose TLS handshake fails. Each runs many times; then the fds are back at their baseline and Weir's
 * event loops are idle (see {@link Hygiene}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsHygieneTest {

    @TempDir
    static Path dir;

    private static TestConfig terminating(int backendPort) {
        TestPki.Files2 web = TestPki.ca("hygiene ca").issue("web.test", "web.test").write(dir, "web");
        return TestConfig.to("127.0.0.1:" + backendPort).set("listeners.l.tls", TestConfig.map(
                "certificates", List.of(TestConfig.map("cert", web.cert().toString(), "key", web.key().toString())),
                "handshake-timeout", "200ms"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void clientsThatSendNoTlsOrStaySilent(String transport) throws Exception {
        BackendSample echo = BackendSample.start("e", "127.0.0.1", 0, null);
        try (RunningWeir proxy = terminating(echo.port()).transport(transport).start()) {
            Hygiene.check("plaintext and silent clients of a terminating listener", 20, () -> {
                try (Socket plain = proxy.connect(); Socket silent = proxy.connect(); Socket leaving = proxy.connect()) {
                    plain.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
                    leaving.shutdownOutput(); // a FIN before any ClientHello
                    assertThat(endOf(plain.getInputStream())).isTrue();
                    assertThat(endOf(silent.getInputStream())).as("closed at the handshake timeout").isTrue();
                    assertThat(endOf(leaving.getInputStream())).isTrue();
                }
            });
            assertThat(proxy.metrics().closedCount("TLS_HANDSHAKE_FAILED")).isGreaterThanOrEqualTo(60);
        } finally {
            echo.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void backendsWhoseHandshakeFails(String transport) throws Exception {
        try (MisbehavingBackend closing = MisbehavingBackend.start(MisbehavingBackend.Act.CLOSE);
             RunningWeir proxy = TestConfig.to(closing.address()).transport(transport)
                     .set("pools.p.tls", TestConfig.map("verify", false)).set("pools.p.connect-attempts", 1).start()) {
            Hygiene.check("clients of a pool whose backend closes during the TLS handshake", 20, () -> {
                try (Socket s = proxy.connect()) {
                    s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
                    assertThat(endOf(s.getInputStream())).isTrue();
                }
            });
            assertThat(proxy.counted("weir.connect.failures", "cause", "tls")).isGreaterThanOrEqualTo(20);
        }
    }

    /** True once the peer closed (EOF or reset) without sending a byte. */
    private static boolean endOf(InputStream in) {
        try {
            return in.read() == -1;
        } catch (IOException reset) {
            return true;
        }
    }
}
