package dev.weir.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.transport.Transport;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SNI routes with {@code passthrough: true} on a listener that terminates TLS: such a client's handshake is with the
 * backend itself (its certificate, not Weir's), while the other routes are terminated as usual.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsPassthroughTest {

    @TempDir
    static Path dir;
    private static TestPki.Issued ca;
    private static TestPki.Issued weirCert;
    private static TestPki.Files2 weirFiles;
    private static TestPki.Issued legacyCert;
    private static BackendSample plain;
    private static TlsEcho legacy;

    @BeforeAll
    static void start() throws Exception {
        ca = TestPki.ca("passthrough test ca");
        weirCert = ca.issue("web.test", "web.test", "legacy.test");
        weirFiles = weirCert.write(dir, "weir");
        legacyCert = ca.issue("legacy backend", "legacy.test");
        plain = BackendSample.start("plain", "127.0.0.1", 0, null);
        legacy = new TlsEcho(ca, "legacy", legacyCert, false);
    }

    @AfterAll
    static void stop() throws IOException {
        plain.close();
        legacy.close();
    }

    /** Terminates with Weir's certificate (valid for both names, so only the serial tells who answered). */
    private static TestConfig config(String transport) {
        return TestConfig.to(TestConfig.local(plain.port()))
                .transport(transport)
                .pool("legacy", legacy.address())
                .set("listeners.l.tls", TestConfig.map(
                        "certificates", List.of(TestConfig.map("cert", weirFiles.cert().toString(),
                                "key", weirFiles.key().toString())),
                        "handshake-timeout", "1s"))
                .set("listeners.l.sni", TestConfig.map("routes", TestConfig.map(
                        "web.test", "p",
                        "legacy.test", TestConfig.map("pool", "legacy", "passthrough", true))));
    }

    private static SSLSocket client(RunningWeir proxy, String sni) throws IOException {
        SSLSocket s = TlsClients.connect(proxy.address(), TestPki.client(ca, null), sni);
        s.startHandshake();
        return s;
    }

    private static BigInteger serial(SSLSocket s) throws IOException {
        return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
    }

    /** Writes {@code line\n}, reads until it has {@code expected} bytes. */
    private static String exchange(SSLSocket s, String line, int expected) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        byte[] got = in.readNBytes(expected);
        return new String(got, StandardCharsets.US_ASCII);
    }

    static List<String> transports() {
        return Transport.available().stream().map(Transport::name).toList();
    }

    @ParameterizedTest
    @MethodSource("transports")
    void aPassthroughRouteHandsTheClientsHelloToTheBackendAndOtherRoutesAreTerminated(String transport)
            throws Exception {
        try (RunningWeir proxy = config(transport).start()) {
            try (SSLSocket passed = client(proxy, "legacy.test"); SSLSocket terminated = client(proxy, "web.test")) {
                // The backend's own certificate reached the client: its handshake was with the backend.
                assertThat(serial(passed)).isEqualTo(legacyCert.serial());
                assertThat(serial(terminated)).isEqualTo(weirCert.serial());
                assertThat(exchange(passed, "hello", "legacy\nhello\n".length())).isEqualTo("legacy\nhello\n");
                assertThat(exchange(terminated, "hello", "hello\n".length())).isEqualTo("hello\n");

                // The terminating handler's hello timeout does not reach the connection it stepped aside for.
                await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                        .until(() -> proxy.metrics().closedCount("TLS_HANDSHAKE_FAILED") == 0.0);
                assertThat(exchange(passed, "still there", "still there\n".length())).isEqualTo("still there\n");
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.metrics().closedCount("CLIENT_CLOSED") == 2.0);
            assertThat(proxy.counted("weir.tls.handshakes", "listener", "l", "result", "ok")).isEqualTo(1.0);
            assertThat(proxy.counted("weir.sni.results", "listener", "l", "result", "matched")).isEqualTo(2.0);
        }
    }

    @Test
    void aPassthroughRouteToAPoolThatSpeaksTlsIsAConfigError() {
        assertThatThrownBy(() -> config("nio")
                .set("pools.legacy.tls", TestConfig.map("verify", false))
                .config())
                .hasMessageContaining("listeners.l.sni.routes.\"legacy.test\".passthrough: pool legacy has tls");
    }

    @Test
    void aRouteIsAPoolNameOrAPoolWithPassthrough() {
        assertThatThrownBy(() -> config("nio")
                .set("listeners.l.sni", TestConfig.map("routes", TestConfig.map(
                        "legacy.test", TestConfig.map("pool", "legacy", "passthrough", "maybe"),
                        "other.test", TestConfig.map("passthrough", true))))
                .config())
                .hasMessageContaining("listeners.l.sni.routes.\"legacy.test\".passthrough")
                .hasMessageContaining("listeners.l.sni.routes.\"other.test\".pool: missing");
    }

}
