package dev.weir.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.api.ReloadResult;
import dev.weir.proxy.api.StartException;
import dev.weir.sample.BackendSample;
import io.netty.handler.ssl.OpenSsl;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * The files a terminating listener reads, and the provider it reads them with: every PEM key form a user has serves a
 * handshake on both providers; wrong files are refused by their YAML path; an expired certificate is served with a
 * warning; the provider in use is the one configured, and shown.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsFilesTest {

    @TempDir
    static Path dir;
    private static TestPki.Issued ca;
    private static BackendSample echo;

    @BeforeAll
    static void start() throws Exception {
        ca = TestPki.ca("weir test ca");
        echo = BackendSample.start("e", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() {
        echo.close();
    }

    private static TestConfig terminating(String provider, Path cert, Path key) {
        return TestConfig.to(TestConfig.local(echo.port())).set("tls-provider", provider)
                .set("listeners.l.tls", TestConfig.map("certificates",
                        List.of(TestConfig.map("cert", cert.toString(), "key", key.toString()))));
    }

    private static BigInteger servedSerial(RunningWeir proxy, SSLContext ctx) throws IOException {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
            s.setSoTimeout(20_000);
            s.connect(proxy.address(), 5_000);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("web.test")));
            s.setSSLParameters(p);
            s.getOutputStream().write('x');
            assertThat(s.getInputStream().read()).isEqualTo('x');
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    static Stream<Arguments> keyFormsAndProviders() {
        return Stream.of("openssl", "jdk").flatMap(p -> Stream.of(Arguments.of("EC", "pkcs8", p),
                Arguments.of("EC", "traditional", p), Arguments.of("RSA", "pkcs8", p),
                Arguments.of("RSA", "traditional", p)));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("keyFormsAndProviders")
    void everyPemKeyFormServesAHandshake(String algorithm, String form, String provider) throws Exception {
        assumeTrue(!provider.equals("openssl") || OpenSsl.isAvailable(), "BoringSSL does not load here");
        TestPki.Issued leaf = algorithm.equals("EC") ? ca.issue("web.test", "web.test") : ca.issueRsa("web.test", "web.test");
        String name = algorithm + "-" + form + "-" + provider;
        TestPki.Files2 files = form.equals("pkcs8") ? leaf.write(dir, name) : leaf.writeTraditional(dir, name);
        String header = Files.readString(files.key()).lines().findFirst().orElseThrow();
        assertThat(header).isEqualTo(form.equals("pkcs8") ? "-----BEGIN PRIVATE KEY-----"
                : "-----BEGIN " + algorithm + " PRIVATE KEY-----");
        try (RunningWeir proxy = terminating(provider, files.cert(), files.key()).start()) {
            assertThat(servedSerial(proxy, TestPki.client(ca, null))).isEqualTo(leaf.serial());
        }
    }

    @Test
    void anEcParametersBlockBeforeTheKeyIsSkipped() throws Exception {
        TestPki.Issued leaf = ca.issue("web.test", "web.test");
        TestPki.Files2 files = leaf.writeTraditional(dir, "with-params");
        // As openssl ecparam -genkey writes it: the curve first, then the key.
        Files.writeString(files.key(), "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
                + Files.readString(files.key()));
        try (RunningWeir proxy = terminating("auto", files.cert(), files.key()).start()) {
            assertThat(servedSerial(proxy, TestPki.client(ca, null))).isEqualTo(leaf.serial());
        }
    }

    @Test
    void wrongKeyFilesAreConfigErrorsNamingTheirPath() throws Exception {
        TestPki.Issued leaf = ca.issue("web.test", "web.test");
        TestPki.Files2 files = leaf.write(dir, "right");
        TestPki.Files2 otherTraditional = ca.issue("web.test", "web.test").writeTraditional(dir, "other-ec");
        TestPki.Files2 rsa = ca.issueRsa("web.test", "web.test").writeTraditional(dir, "other-rsa");
        String at = "listeners.l.tls.certificates[0].key: ";

        assertRefused(files.cert(), otherTraditional.key(),
                at + otherTraditional.key() + " does not match the certificate " + files.cert());
        assertRefused(files.cert(), rsa.key(), at + rsa.key() + " does not match the certificate " + files.cert()
                + " (a RSA key, a EC certificate)");
        assertRefused(files.cert(), files.cert(), at + files.cert() + ": holds no PEM private key (expected: BEGIN "
                + "PRIVATE KEY, BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY)");
        Path encrypted = dir.resolve("encrypted.key");
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
            w.writeObject(leaf.keys().getPrivate(), new JcePEMEncryptorBuilder("AES-128-CBC")
                    .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider()).build("secret".toCharArray()));
        }
        Files.writeString(encrypted, pem.toString());
        assertRefused(files.cert(), encrypted, at + encrypted + ": an encrypted key (decrypt it: openssl pkey -in "
                + encrypted + " -out KEY)");
        Path encryptedPkcs8 = dir.resolve("encrypted-pkcs8.key");
        StringWriter pkcs8 = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(pkcs8)) {
            w.writeObject(new JcaPKCS8Generator(leaf.keys().getPrivate(),
                    new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_128_CBC)
                            .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider())
                            .setPassword("secret".toCharArray()).build()));
        }
        Files.writeString(encryptedPkcs8, pkcs8.toString());
        assertThat(pkcs8.toString()).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----");
        assertRefused(files.cert(), encryptedPkcs8, at + encryptedPkcs8 + ": an encrypted key (decrypt it: openssl pkey -in "
                + encryptedPkcs8 + " -out KEY)");
        Path damaged = Files.writeString(dir.resolve("damaged.key"),
                "-----BEGIN EC PRIVATE KEY-----\nnot base64 at all!\n-----END EC PRIVATE KEY-----\n");
        assertThatThrownBy(() -> terminating("auto", files.cert(), damaged).start()).isInstanceOf(StartException.class)
                .hasMessageStartingWith(at + damaged + ": cannot read a private key (");
    }

    private static void assertRefused(Path cert, Path key, String message) {
        assertThatThrownBy(() -> terminating("auto", cert, key).start()).isInstanceOf(StartException.class)
                .hasMessage(message).matches(e -> ((StartException) e).configError(), "a config error (exit 2)");
    }

    @Test
    void anExpiredCertificateIsServedWithAWarningNamingItsDate() throws Exception {
        TestPki.Issued expired = ca.issueExpired("web.test", "web.test");
        TestPki.Files2 files = expired.write(dir, "expired");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        Logger logger = (Logger) LoggerFactory.getLogger(ServerTls.class);
        lines.start();
        logger.addAppender(lines);
        try (RunningWeir proxy = terminating("auto", files.cert(), files.key()).start()) {
            assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                    "tls certificate expired path=listeners.l.tls.certificates[0].cert file=" + files.cert()
                            + " not_after=" + expired.cert().getNotAfter().toInstant());
            var gauges = proxy.registry().find("weir.tls.certificate.expiry").tag("listener", "l").gauges();
            assertThat(gauges).singleElement().satisfies(g -> assertThat(g.value())
                    .isLessThan(System.currentTimeMillis() / 1000.0));
        } finally {
            logger.detachAppender(lines);
        }
    }

    @Test
    void theProviderIsTheConfiguredOneShownAndKeptUntilRestart() throws Exception {
        assumeTrue(OpenSsl.isAvailable(), "BoringSSL does not load here");
        TestPki.Files2 files = ca.issue("web.test", "web.test").write(dir, "provider");
        for (String[] requestedAndUsed : new String[][] {{"auto", "openssl"}, {"openssl", "openssl"}, {"jdk", "jdk"}}) {
            try (RunningWeir proxy = terminating(requestedAndUsed[0], files.cert(), files.key()).start()) {
                assertThat(provider(proxy)).as(requestedAndUsed[0]).isEqualTo(requestedAndUsed[1]);
                servedSerial(proxy, TestPki.client(ca, null));
            }
        }
        try (RunningWeir proxy = terminating("openssl", files.cert(), files.key()).start()) {
            ReloadResult r = proxy.weir().reload(terminating("jdk", files.cert(), files.key()).config());
            assertThat(r.changes()).as(r.toString()).containsExactly("tls-provider: kept openssl until restart");
            assertThat(provider(proxy)).isEqualTo("openssl");
            servedSerial(proxy, TestPki.client(ca, null));
        }
    }

    @Test
    void aProxyWithoutTlsChoosesNoProvider() throws Exception {
        try (RunningWeir proxy = TestConfig.to(TestConfig.local(echo.port())).start()) {
            assertThat(proxy.registry().find("weir.tls.provider").gauges()).isEmpty();
        }
    }

    /** The provider tag of the one weir.tls.provider gauge. */
    private static String provider(RunningWeir proxy) {
        var gauges = proxy.registry().find("weir.tls.provider").gauges();
        assertThat(gauges).hasSize(1);
        var g = gauges.iterator().next();
        assertThat(g.value()).isEqualTo(1.0);
        return g.getId().getTag("provider");
    }
}
