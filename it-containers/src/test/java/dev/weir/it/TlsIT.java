package dev.weir.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Scenario 9: the image terminates TLS. The certificate and key the test made are in the mounted /etc/weir; JDK
 * clients check the chain and the name against the test's CA and talk plaintext to a backend-sample container
 * through Weir. The certificate is then renewed in place twice, picked up by {@code docker kill -s HUP} and by
 * {@code POST /api/v1/reload}: new clients see each new serial, and a transfer in flight across the renewals
 * finishes byte-exact on the certificate it began with.
 */
@ExtendWith(ContainerSuite.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TlsIT {

    private static final String NAME = "web.test";
    private static final long TOTAL = 16L << 20;

    static Containers.Sample a;
    static WeirContainer weir; // stopped after the suite printed its logs for a failed test

    @BeforeAll
    static void start() {
        a = new Containers.Sample("svc-a");
        a.start();
    }

    @AfterAll
    static void stop() {
        Containers.stopAll(weir, a);
    }

    /** Listener web terminates TLS with the files /etc/weir/web.pem and web.key, to pool web (svc-a). */
    private static String config() {
        return "listeners:\n  web:\n    bind: 127.0.0.1:0\n    pool: web\n"
                + "    tls:\n      certificates:\n        - {cert: /etc/weir/web.pem, key: /etc/weir/web.key}\n"
                + "pools:\n  web:\n" + Snippets.backends(a);
    }

    /** Replaces the certificate and key files, each by rename, as cert-manager and certbot renew them. */
    private static void install(ConfigDir config, Pki.Leaf leaf) {
        config.file("web.key", leaf.keyPem()).file("web.pem", leaf.chainPem());
    }

    @Test
    void terminatesTlsAndServesRenewedCertificatesAfterSighupAndTheApi() throws Exception {
        Pki ca = Pki.ca("weir it ca");
        Pki.Leaf first = ca.issue(NAME);
        ConfigDir config = ConfigDir.create();
        install(config, first);
        config.write(config());
        weir = new WeirContainer("tls", config);
        weir.start();
        int port = weir.port();
        String logs = weir.getLogs();
        Matcher provider = Pattern.compile("tls provider chosen provider=(\\S+)(.*)").matcher(logs);
        assertThat(provider.find()).as(logs).isTrue();
        System.out.println("[weir] in the container: tls provider=" + provider.group(1) + provider.group(2));
        assertThat(provider.group(1)).as("BoringSSL (netty-tcnative) loads in the image").isEqualTo("openssl");

        for (String version : new String[] {"TLSv1.2", "TLSv1.3"}) {
            try (SSLSocket s = tls(ca, port, version)) {
                assertThat(whoami(s)).isEqualTo("svc-a");
                assertThat(s.getSession().getProtocol()).isEqualTo(version);
                assertThat(serial(s)).isEqualTo(first.serial());
            }
        }

        SSLSocket live = tls(ca, port, "TLSv1.3");
        assertThat(serial(live)).isEqualTo(first.serial());
        // No half-close: with BoringSSL a client's close_notify ends both directions (docs/tls.md, "Not yet").
        Transfer transfer = Transfer.start(live, TOTAL, TOTAL / 4, 10, false);
        transfer.awaitPaused(60, TimeUnit.SECONDS);

        Pki.Leaf second = ca.issue(NAME);
        install(config, second);
        weir.signal("HUP");
        // Each look a new client: one that resumed a session would get the certificate the session began with.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> servedSerial(ca, port).equals(second.serial()));
        assertThat(weir.getLogs()).containsPattern("reload result=RELOADED .*listener web: certificates reloaded");

        Pki.Leaf third = ca.issue(NAME);
        install(config, third);
        Admin admin = weir.admin();
        assertThat(admin.post("/api/v1/reload").path("result").asText()).isEqualTo("RELOADED");
        assertThat(servedSerial(ca, port)).as("a handshake after the API answered").isEqualTo(third.serial());

        transfer.resume();
        assertThat(transfer.done().get(90, TimeUnit.SECONDS)).as("byte-exact, across both renewals")
                .isEqualTo(TOTAL);
        assertThat(transfer.backend).isEqualTo("svc-a");

        String metrics = admin.text("/metrics");
        assertThat(metrics).contains("serial=\"" + third.serial().toString(16) + "\"")
                .doesNotContain("serial=\"" + first.serial().toString(16) + "\"")
                .doesNotContain("serial=\"" + second.serial().toString(16) + "\"");
        assertThat(metrics).containsPattern("weir_tls_handshakes_total\\{listener=\"web\",result=\"ok\",?\\} [1-9]");
        assertThat(weir.getLogs()).doesNotContain("result=FAILED").doesNotContain("tls handshake failed");
    }

    /** A TLS client of listener web that checks the chain against {@code ca} and the name web.test (its SNI). */
    private static SSLSocket tls(Pki ca, int port, String version) throws IOException {
        Socket plain = Net.connect(null, port);
        SSLSocket s = (SSLSocket) ca.client().getSocketFactory().createSocket(plain, NAME, port, true);
        try {
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setProtocols(new String[] {version});
            s.setSSLParameters(p);
            s.setSoTimeout(10_000);
            s.startHandshake();
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    private static BigInteger servedSerial(Pki ca, int port) throws IOException {
        try (SSLSocket s = tls(ca, port, "TLSv1.3")) {
            return serial(s);
        }
    }

    private static BigInteger serial(SSLSocket s) throws IOException {
        return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
    }

    private static String whoami(SSLSocket s) throws IOException {
        s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return Net.readLine(s.getInputStream());
    }
}
