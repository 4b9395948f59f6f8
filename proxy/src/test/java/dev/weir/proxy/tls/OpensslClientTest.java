package dev.weir.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.transport.Transport;
import dev.weir.sample.BackendSample;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * OpenSSL's own client, {@code openssl s_client}, through a listener that terminates TLS to a plaintext
 * backend-sample echo server: TLS 1.2 and 1.3, the chain and name checked against the test's CA, the bytes echoed
 * byte-exact, and client certificates on a {@code client-auth: required} listener. Without an openssl command these
 * tests fail (CI installs it), they do not skip.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OpensslClientTest {

    private static final Duration RUN = Duration.ofSeconds(60);
    private static final byte[] WHOAMI = "whoami\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    static Path dir;
    private static TestPki.Issued ca;
    private static Path caFile;
    private static Path otherCaFile;
    private static TestPki.Files2 web;
    private static TestPki.Files2 alice;
    private static TestPki.Files2 mallory;
    private static BackendSample echo;

    private final Logger access = (Logger) LoggerFactory.getLogger("weir.access");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private Level before;

    @BeforeAll
    static void start() throws Exception {
        System.out.println("[weir] " + OpensslClient.requireInstalled());
        ca = TestPki.ca("weir test ca");
        TestPki.Issued otherCa = TestPki.ca("another ca");
        caFile = ca.writeCert(dir.resolve("ca.pem"));
        otherCaFile = otherCa.writeCert(dir.resolve("other-ca.pem"));
        web = ca.issue("web.test", "web.test").write(dir, "web");
        alice = ca.issue("alice").write(dir, "alice");
        mallory = otherCa.issue("mallory").write(dir, "mallory");
        echo = BackendSample.start("e", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() {
        if (echo != null) {
            echo.close();
        }
    }

    @BeforeEach
    void capture() {
        before = access.getLevel();
        access.setLevel(Level.INFO);
        lines.start();
        access.addAppender(lines);
    }

    @AfterEach
    void release() {
        access.detachAppender(lines);
        access.setLevel(before);
    }

    static Stream<Arguments> transportsAndVersions() {
        return Transport.available().stream().flatMap(t -> Stream.of(Arguments.of(t.name(), "TLSv1.2"),
                Arguments.of(t.name(), "TLSv1.3")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("transportsAndVersions")
    void bytesAreEchoedByteExactAfterTheClientVerifiedTheChainAndName(String transport, String version)
            throws Exception {
        byte[] data = random(1024 * 1024 + 7, version.hashCode());
        try (RunningWeir proxy = terminating(echo, TestConfig.map("certificates", List.of(cert(web))))
                .transport(transport).start()) {
            OpensslClient.Result r = OpensslClient.connect(proxy.address(), client(version, caFile), data, RUN);
            assertThat(r.exitCode()).as("%s", r).isZero();
            assertEchoed(r, data);
            String line = accessLine();
            assertThat(line).as("what Weir saw").contains(" bytes_up=" + data.length + " bytes_down=" + data.length + " ")
                    .contains(" reason=CLIENT_CLOSED ").contains(" tls=" + version + " ")
                    .endsWith(" sni=web.test alpn=- client_cert=-");
        }
    }

    @Test
    void theClientRefusesAChainFromAnotherCaAndAnotherName() throws Exception {
        BackendSample backend = BackendSample.start("x", "127.0.0.1", 0, null);
        try (RunningWeir proxy = terminating(backend, TestConfig.map("certificates", List.of(cert(web)))).start()) {
            OpensslClient.Result unknownCa = OpensslClient.connect(proxy.address(),
                    client("TLSv1.3", otherCaFile), WHOAMI, RUN);
            assertThat(unknownCa.exitCode()).as("%s", unknownCa).isNotZero();
            assertThat(unknownCa.stderr()).contains("verify error");
            assertThat(unknownCa.received()).isEmpty();

            List<String> otherName = new ArrayList<>(client("TLSv1.2", caFile));
            otherName.set(otherName.indexOf("-verify_hostname") + 1, "other.test");
            OpensslClient.Result wrongName = OpensslClient.connect(proxy.address(), otherName, WHOAMI, RUN);
            assertThat(wrongName.exitCode()).as("%s", wrongName).isNotZero();
            assertThat(wrongName.stderr()).contains("verify error");
            assertThat(wrongName.received()).isEmpty();

            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.metrics().closedCount("TLS_HANDSHAKE_FAILED") == 2);
            assertThat(backend.connectionsAccepted()).as("the backend saw no connection").isZero();
        } finally {
            backend.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void aClientCertificateFromTheClientCaIsRelayedOnARequiredListener(String version) throws Exception {
        byte[] data = random(256 * 1024, 11);
        try (RunningWeir proxy = terminating(echo, requiredClientAuth()).start()) {
            List<String> options = new ArrayList<>(client(version, caFile));
            options.addAll(List.of("-cert", alice.cert().toString(), "-key", alice.key().toString()));
            OpensslClient.Result r = OpensslClient.connect(proxy.address(), options, data, RUN);
            assertThat(r.exitCode()).as("%s", r).isZero();
            assertEchoed(r, data);
            assertThat(accessLine()).contains(" tls=" + version + " ").endsWith(" client_cert=\"CN=alice\"");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void noClientCertificateOrOneFromAnotherCaIsRefusedBeforeAnyBackendConnect(String version) throws Exception {
        BackendSample backend = BackendSample.start("x", "127.0.0.1", 0, null);
        try (RunningWeir proxy = terminating(backend, requiredClientAuth()).start()) {
            OpensslClient.Result none = OpensslClient.connect(proxy.address(), client(version, caFile),
                    WHOAMI, RUN);
            assertThat(none.received()).as("%s", none).isEmpty();
            assertThat(none.exitCode()).as("%s", none).isNotZero();

            List<String> options = new ArrayList<>(client(version, caFile));
            options.addAll(List.of("-cert", mallory.cert().toString(), "-key", mallory.key().toString()));
            OpensslClient.Result stranger = OpensslClient.connect(proxy.address(), options, WHOAMI, RUN);
            assertThat(stranger.received()).as("%s", stranger).isEmpty();
            assertThat(stranger.exitCode()).as("%s", stranger).isNotZero();

            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.metrics().closedCount("TLS_HANDSHAKE_FAILED") == 2);
            assertThat(proxy.counted("weir.tls.handshakes", "result", "no_certificate")).isEqualTo(1.0);
            assertThat(proxy.counted("weir.tls.handshakes", "result", "bad_certificate")).isEqualTo(1.0);
            assertThat(backend.connectionsAccepted()).as("the backend saw no connection").isZero();
            assertThat(proxy.weir().backends("p").stream().mapToLong(b -> b.totalConnections()).sum()).isZero();
        } finally {
            backend.close();
        }
    }

    /** s_client's options for {@code version} (TLSv1.2 or TLSv1.3), SNI web.test, the chain and name checked. */
    private static List<String> client(String version, Path trusted) {
        return List.of(version.equals("TLSv1.2") ? "-tls1_2" : "-tls1_3", "-servername", "web.test",
                "-verify_hostname", "web.test", "-CAfile", trusted.toString(), "-verify_return_error");
    }

    private static Map<String, Object> cert(TestPki.Files2 f) {
        return TestConfig.map("cert", f.cert().toString(), "key", f.key().toString());
    }

    private static Map<String, Object> requiredClientAuth() {
        return TestConfig.map("certificates", List.of(cert(web)), "client-auth", "required",
                "client-ca", caFile.toString());
    }

    private static TestConfig terminating(BackendSample backend, Map<String, Object> tls) {
        return TestConfig.to(TestConfig.local(backend.port())).set("listeners.l.tls", tls);
    }

    private static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    private static void assertEchoed(OpensslClient.Result r, byte[] sent) throws Exception {
        assertThat(r.received().length).as("bytes echoed; %s", r).isEqualTo(sent.length);
        assertThat(MessageDigest.getInstance("SHA-256").digest(r.received())).as("the echo, byte for byte")
                .isEqualTo(MessageDigest.getInstance("SHA-256").digest(sent));
    }

    /** The access-log line of the one connection the test made. */
    private String accessLine() {
        await().atMost(Duration.ofSeconds(5)).until(() -> lines.list.size() >= 1);
        assertThat(lines.list).hasSize(1);
        return lines.list.get(0).getFormattedMessage();
    }
}
