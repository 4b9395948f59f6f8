package dev.weir.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pool that speaks TLS to its backends: real JDK TLS servers on loopback, certificates made by the test; plaintext
 * clients in front.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsOriginationTest {

    @TempDir
    static Path dir;
    private static TestPki.Issued ca;
    private static TestPki.Issued otherCa;
    private static Path caFile;
    private static TestPki.Files2 weirClient;

    @BeforeAll
    static void pki() {
        ca = TestPki.ca("backend ca");
        otherCa = TestPki.ca("another ca");
        caFile = ca.writeCert(dir.resolve("backend-ca.pem"));
        weirClient = ca.issue("weir").write(dir, "weir-client");
    }

    private static String ask(RunningWeir proxy) throws IOException {
        try (Socket s = new Socket()) {
            s.setSoTimeout(10_000);
            s.connect(proxy.address(), 5_000);
            s.getOutputStream().write("hi\n".getBytes(StandardCharsets.US_ASCII));
            byte[] first = new byte[64];
            int n = s.getInputStream().read(first);
            return n <= 0 ? "" : new String(first, 0, n, StandardCharsets.US_ASCII).lines().findFirst().orElse("");
        }
    }

    private static Map<String, Object> tls(Object... more) {
        Map<String, Object> m = new java.util.LinkedHashMap<>(TestConfig.map("ca", caFile.toString(),
                "server-name", "backend.test"));
        m.putAll(TestConfig.map(more));
        return m;
    }

    @Test
    void aBackendThatRequiresTlsAndAClientCertificateAcceptsWeir() throws Exception {
        try (TlsEcho backend = new TlsEcho(ca, "a", ca.issue("backend.test", "backend.test"), true);
             RunningWeir proxy = TestConfig.to(backend.address())
                     .set("pools.p.tls", tls("cert", weirClient.cert().toString(), "key", weirClient.key().toString()))
                     .start();
             Socket s = new Socket()) {
            s.setSoTimeout(10_000);
            s.connect(proxy.address(), 5_000);
            s.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.getInputStream().readNBytes(8), StandardCharsets.US_ASCII)).isEqualTo("a\nhello\n");
            s.shutdownOutput();
            assertThat(s.getInputStream().read()).as("the backend's close comes through").isEqualTo(-1);
            assertThat(backend.clientSubjects).containsExactly("CN=weir");
        }
    }

    @Test
    void aClientKeyInItsTraditionalFormServesTooAndAKeyOfAnotherCertificateIsNamed() throws Exception {
        TestPki.Files2 rsaClient = ca.issueRsa("weir-rsa").writeTraditional(dir, "weir-rsa");
        try (TlsEcho backend = new TlsEcho(ca, "a", ca.issue("backend.test", "backend.test"), true);
             RunningWeir proxy = TestConfig.to(backend.address())
                     .set("pools.p.tls", tls("cert", rsaClient.cert().toString(), "key", rsaClient.key().toString()))
                     .start()) {
            assertThat(ask(proxy)).isEqualTo("a");
            assertThat(backend.clientSubjects).containsExactly("CN=weir-rsa");
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestConfig.to("127.0.0.1:1")
                        .set("pools.p.tls", tls("cert", weirClient.cert().toString(), "key", rsaClient.key().toString()))
                        .start())
                .hasMessage("pools.p.tls.key: " + rsaClient.key() + " does not match the certificate " + weirClient.cert()
                        + " (a RSA key, a EC certificate)");
    }

    @Test
    void aBackendWithTheWrongCaOrNameIsAFailedConnectAndTheNextOneServes() throws Exception {
        try (TlsEcho wrongCa = new TlsEcho(ca, "wrong-ca", otherCa.issue("backend.test", "backend.test"), false);
             TlsEcho wrongName = new TlsEcho(ca, "wrong-name", ca.issue("other.test", "other.test"), false);
             TlsEcho good = new TlsEcho(ca, "good", ca.issue("backend.test", "backend.test"), false);
             RunningWeir proxy = TestConfig.to(wrongCa.address(), wrongName.address(), good.address())
                     .set("pools.p.tls", tls()).start()) {
            for (int i = 0; i < 6; i++) {
                assertThat(ask(proxy)).isEqualTo("good");
            }
            assertThat(proxy.counted("weir.connect.failures", "cause", "tls")).isGreaterThanOrEqualTo(2.0);
            assertThat(proxy.metrics().closedCount("CONNECT_FAILED")).isZero();
        }
    }

    @Test
    void withoutVerificationAnyCertificateIsAccepted() throws Exception {
        try (TlsEcho backend = new TlsEcho(ca, "a", otherCa.issue("whatever.test", "whatever.test"), false);
             RunningWeir proxy = TestConfig.to(backend.address())
                     .set("pools.p.tls", TestConfig.map("verify", false)).start()) {
            assertThat(ask(proxy)).isEqualTo("a");
        }
    }

    @Test
    void aPlaintextBackendIsAFailedConnect() throws Exception {
        try (java.net.ServerSocket plain = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             TlsEcho good = new TlsEcho(ca, "good", ca.issue("backend.test", "backend.test"), false);
             RunningWeir proxy = TestConfig.to("127.0.0.1:" + plain.getLocalPort(), good.address())
                     .set("pools.p.tls", tls()).set("pools.p.connect-timeout", "1s").start()) {
            Thread closer = new Thread(() -> {
                try (Socket s = plain.accept()) {
                    s.getOutputStream().write("HTTP/1.1 400 Bad\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException ignored) {
                    // closed by the test
                }
            });
            closer.start();
            for (int i = 0; i < 4; i++) {
                assertThat(ask(proxy)).isEqualTo("good");
            }
            assertThat(proxy.counted("weir.connect.failures", "cause", "tls")).isGreaterThanOrEqualTo(1.0);
            closer.join(5_000);
        }
    }

    @Test
    void noSuchCaFileIsNamedAtStart() {
        Path missing = dir.resolve("nope.pem");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestConfig.to("127.0.0.1:1")
                        .set("pools.p.tls", TestConfig.map("ca", missing.toString())).start())
                .hasMessage("pools.p.tls.ca: " + missing + ": no such file");
        assertThat(List.of(missing)).isNotEmpty();
    }
}
