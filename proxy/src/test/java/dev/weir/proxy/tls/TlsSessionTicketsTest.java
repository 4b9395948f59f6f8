package dev.weir.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.api.ReloadResult;
import dev.weir.sample.BackendSample;
import io.netty.handler.ssl.OpenSsl;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Session resumption through a terminating listener, seen by JDK clients: a client that resumes keeps its session's
 * creation time (TLS 1.2 reuses the session itself, TLS 1.3 carries the time over), a full handshake makes a new one.
 * With the openssl provider the tickets are Weir's, so they resume across a reload and a rotation.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsSessionTicketsTest {

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

    private static TestConfig terminating(String provider, Path cert, Path key, Map<String, Object> tickets) {
        Map<String, Object> tls = TestConfig.map("certificates", List.of(TestConfig.map("cert", cert.toString(),
                "key", key.toString())));
        if (tickets != null) {
            tls.put("session-tickets", tickets);
        }
        return TestConfig.to(TestConfig.local(echo.port())).set("tls-provider", provider).set("listeners.l.tls", tls);
    }

    /** What a client saw of one connection: its session's creation time and the certificate served. */
    private record Seen(long created, BigInteger serial) {
    }

    /** A handshake as {@code version}, one byte echoed through; the session as the client has it. */
    private static Seen connect(RunningWeir proxy, SSLContext ctx, String version) throws IOException {
        try (SSLSocket s = TlsClients.connect(proxy.address(), ctx, "web.test", version)) {
            s.getOutputStream().write('x');
            assertThat(s.getInputStream().read()).isEqualTo('x');
            SSLSession session = s.getSession();
            assertThat(session.getProtocol()).isEqualTo(version);
            return new Seen(session.getCreationTime(),
                    ((X509Certificate) session.getPeerCertificates()[0]).getSerialNumber());
        }
    }

    /** A full handshake after {@code before} is told apart by its creation time: wait until the clock has moved. */
    private static Seen fullAfter(Seen before) {
        await().until(() -> System.currentTimeMillis() > before.created());
        return before;
    }

    private static void assumeOpenSsl() {
        assumeTrue(OpenSsl.isAvailable(), "BoringSSL does not load here");
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void aSessionResumesOnLaterConnectionsAndAcrossAReload(String version) throws Exception {
        assumeOpenSsl();
        SSLContext ctx = TestPki.client(ca, null);
        try (RunningWeir proxy = terminating("openssl", web.cert(), web.key(), null).start()) {
            Seen first = fullAfter(connect(proxy, ctx, version));
            // Connections from new ports spread over the two event loops' acceptors; they share the contexts and keys.
            for (int i = 0; i < 8; i++) {
                assertThat(connect(proxy, ctx, version).created()).as("connection %d resumes", i).isEqualTo(first.created());
            }
            ReloadResult r = proxy.weir().reload(proxy.weir().config());
            assertThat(r.outcome()).as(r.toString()).isEqualTo(ReloadResult.Outcome.UNCHANGED);
            assertThat(connect(proxy, ctx, version).created()).as("new contexts, the same ticket keys")
                    .isEqualTo(first.created());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void aTicketResumesAfterOneRotationButNotAfterTwo(String version) throws Exception {
        assumeOpenSsl();
        SSLContext early = TestPki.client(ca, null);
        SSLContext late = TestPki.client(ca, null);
        try (RunningWeir proxy = terminating("openssl", web.cert(), web.key(),
                TestConfig.map("enabled", true, "rotate", "3s")).start()) {
            Seen a = connect(proxy, early, version);
            Seen b = fullAfter(connect(proxy, late, version));
            assertThat(rotations(proxy)).isZero();

            await().atMost(Duration.ofSeconds(20)).until(() -> rotations(proxy) == 1);
            assertThat(connect(proxy, early, version).created()).as("the previous key still decrypts")
                    .isEqualTo(a.created());

            await().atMost(Duration.ofSeconds(20)).until(() -> rotations(proxy) == 2);
            assertThat(connect(proxy, late, version).created()).as("a key two rotations old is gone: a full handshake")
                    .isGreaterThan(b.created());
            assertThat(connect(proxy, early, version).created())
                    .as("resuming under the previous key gave the client a ticket under the new one")
                    .isEqualTo(a.created());
        }
    }

    private static double rotations(RunningWeir proxy) {
        return proxy.counted("weir.tls.ticket.key.rotations", "listener", "l");
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void aClientWithASessionFromBeforeARenewalGetsTheNewCertificate(String version) throws Exception {
        assumeOpenSsl();
        Path cert = dir.resolve("renewed-" + version + ".pem");
        Path key = dir.resolve("renewed-" + version + ".key");
        copy(web, cert, key);
        SSLContext ctx = TestPki.client(ca, null);
        try (RunningWeir proxy = terminating("openssl", cert, key, null).start()) {
            Seen before = fullAfter(connect(proxy, ctx, version));
            TestPki.Issued renewed = ca.issue("web.test", "web.test");
            copy(renewed.write(dir, "renewal-" + version), cert, key);
            ReloadResult r = proxy.weir().reload(proxy.weir().config());
            assertThat(r.changes()).as(r.toString()).containsExactly("listener l: certificates reloaded");

            Seen after = connect(proxy, ctx, version);
            assertThat(after.serial()).isEqualTo(renewed.serial());
            assertThat(after.created()).as("a full handshake").isGreaterThan(before.created());
        }
    }

    @Test
    void withTicketsOffTls13DoesNotResumeAndTls12ResumesUntilAReload() throws Exception {
        assumeOpenSsl();
        try (RunningWeir proxy = terminating("openssl", web.cert(), web.key(), TestConfig.map("enabled", false)).start()) {
            SSLContext ctx13 = TestPki.client(ca, null);
            Seen first13 = fullAfter(connect(proxy, ctx13, "TLSv1.3"));
            assertThat(connect(proxy, ctx13, "TLSv1.3").created()).isGreaterThan(first13.created());

            SSLContext ctx12 = TestPki.client(ca, null);
            Seen first12 = fullAfter(connect(proxy, ctx12, "TLSv1.2"));
            assertThat(connect(proxy, ctx12, "TLSv1.2").created()).as("by session id, from the context's cache")
                    .isEqualTo(first12.created());
            proxy.weir().reload(proxy.weir().config());
            assertThat(connect(proxy, ctx12, "TLSv1.2").created()).as("a reload's new context has an empty cache")
                    .isGreaterThan(first12.created());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void withTheJdkProviderSessionsResumeUntilAReload(String version) throws Exception {
        SSLContext ctx = TestPki.client(ca, null);
        try (RunningWeir proxy = terminating("jdk", web.cert(), web.key(), null).start()) {
            Seen first = fullAfter(connect(proxy, ctx, version));
            assertThat(connect(proxy, ctx, version).created()).isEqualTo(first.created());
            proxy.weir().reload(proxy.weir().config());
            assertThat(connect(proxy, ctx, version).created()).as("the JDK's keys belong to the context a reload replaced")
                    .isGreaterThan(first.created());
        }
    }

    private static void copy(TestPki.Files2 from, Path cert, Path key) throws IOException {
        Files.copy(from.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(from.key(), key, StandardCopyOption.REPLACE_EXISTING);
    }
}
