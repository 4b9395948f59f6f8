package dev.weir.proxy.config;

import static dev.weir.proxy.config.ConfigAssertions.assertErrors;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code listeners.NAME.tls}: what it reads into, and each mistake named by its YAML path. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConfigTlsTest {

    private static String listener(String tls) {
        return "listeners:\n  web: {bind: 127.0.0.1:8080, pool: web, tls: " + tls + "}\n"
                + "pools:\n  web: {backends: [127.0.0.1:9001]}\n";
    }

    @Test
    void readsEveryKeyWithItsDefaults() throws Exception {
        TlsConfig tls = ConfigLoader.parse(listener("{certificates: [{cert: a.pem, key: a.key}, {cert: b.pem, key: b.key}]}"),
                Map.of()).listeners().get("web").tls();
        assertThat(tls).isEqualTo(new TlsConfig(List.of(new TlsConfig.Certificate(Path.of("a.pem"), Path.of("a.key")),
                new TlsConfig.Certificate(Path.of("b.pem"), Path.of("b.key"))), List.of("TLSv1.2", "TLSv1.3"), List.of(),
                List.of(), TlsConfig.ClientAuth.NONE, null, Duration.ofSeconds(10), TlsConfig.DEFAULT_TICKETS));

        TlsConfig all = ConfigLoader.parse(listener("{certificates: [{cert: a.pem, key: a.key}], protocols: [TLSv1.3], "
                + "ciphers: [TLS_AES_128_GCM_SHA256], alpn: [h2, http/1.1], client-auth: required, client-ca: ca.pem, "
                + "handshake-timeout: 2s, session-tickets: {enabled: false, rotate: 1h}}"), Map.of()).listeners().get("web").tls();
        assertThat(all).isEqualTo(new TlsConfig(List.of(new TlsConfig.Certificate(Path.of("a.pem"), Path.of("a.key"))),
                List.of("TLSv1.3"), List.of("TLS_AES_128_GCM_SHA256"), List.of("h2", "http/1.1"),
                TlsConfig.ClientAuth.REQUIRED, Path.of("ca.pem"), Duration.ofSeconds(2),
                new TlsConfig.SessionTickets(false, Duration.ofHours(1))));
        assertThat(ConfigLoader.parse(ConfigAssertions.MINIMAL, Map.of()).listeners().get("web").tls()).isNull();
    }

    @Test
    void mistakesAreNamedByTheirPath() {
        assertErrors(listener("{}"),
                "listeners.web.tls.certificates: missing (expected: a list of {cert, key}, at least one)");
        assertErrors(listener("{certificates: []}"),
                "listeners.web.tls.certificates: empty (expected: at least one certificate)");
        assertErrors(listener("{certificates: [{cert: a.pem}]}"),
                "listeners.web.tls.certificates[0].key: missing (expected: a file path)");
        assertErrors(listener("{certificates: [{cert: a.pem, key: a.key}], protocols: [TLSv1.1]}"),
                "listeners.web.tls.protocols[0]: \"TLSv1.1\" (expected: TLSv1.2 or TLSv1.3)");
        assertErrors(listener("{certificates: [{cert: a.pem, key: a.key}], client-auth: required}"),
                "listeners.web.tls.client-ca: missing (expected: the CA file client certificates are checked against "
                        + "(client-auth is required))");
        assertErrors(listener("{certificates: [{cert: a.pem, key: a.key}], client-auth: maybe}"),
                "listeners.web.tls.client-auth: \"maybe\" (expected: one of none, optional, required)");
        assertErrors(listener("{certificates: [{cert: a.pem, key: a.key}], handshake-timeout: 0s}"),
                "listeners.web.tls.handshake-timeout: 0s (expected: > 0)");
        assertErrors(listener("{certificates: [{cert: a.pem, key: a.key}], session-tickets: {rotate: 200h}}"),
                "listeners.web.tls.session-tickets.rotate: 200h (expected: 1s..168h)");
        assertErrors(listener("{certificates: [{cert: a.pem, key: a.key}], session-tickets: {rotat: 1h}}"),
                "listeners.web.tls.session-tickets.rotat: unknown key (did you mean rotate?)");
        assertErrors(listener("{certificates: [{cert: a.pem, key: a.key}], alpn: [h2, h2]}"),
                "listeners.web.tls.alpn[1]: \"h2\" (expected: each once)");
    }

    @Test
    void tlsProviderIsATopLevelKeyAutoByDefault() throws Exception {
        assertThat(ConfigLoader.parse(ConfigAssertions.MINIMAL, Map.of()).tlsProvider()).isEqualTo(TlsProviderKind.AUTO);
        assertThat(ConfigLoader.parse("tls-provider: jdk\n" + ConfigAssertions.MINIMAL, Map.of()).tlsProvider())
                .isEqualTo(TlsProviderKind.JDK);
        assertThat(ConfigLoader.parse("tls-provider: openssl\n" + ConfigAssertions.MINIMAL, Map.of()).tlsProvider())
                .isEqualTo(TlsProviderKind.OPENSSL);
        assertErrors("tls-provider: boringssl\n" + ConfigAssertions.MINIMAL,
                "tls-provider: \"boringssl\" (expected: one of auto, openssl, jdk)");
    }

    private static String pool(String tls) {
        return "listeners:\n  web: {bind: 127.0.0.1:8080, pool: web}\n"
                + "pools:\n  web: {backends: [127.0.0.1:9001], tls: " + tls + "}\n";
    }

    @Test
    void aPoolsTlsToBackends() throws Exception {
        assertThat(ConfigLoader.parse(pool("{}"), Map.of()).pools().get("web").tls())
                .isEqualTo(new BackendTlsConfig(true, null, null, null, null));
        assertThat(ConfigLoader.parse(pool("{verify: false, ca: ca.pem, server-name: db.internal, cert: c.pem, key: c.key}"),
                Map.of()).pools().get("web").tls()).isEqualTo(new BackendTlsConfig(false, Path.of("ca.pem"), "db.internal",
                Path.of("c.pem"), Path.of("c.key")));
        assertThat(ConfigLoader.parse(ConfigAssertions.MINIMAL, Map.of()).pools().get("web").tls()).isNull();
        assertErrors(pool("{cert: c.pem}"),
                "pools.web.tls.key: missing (expected: cert and key together, for a client certificate)");
        assertErrors(pool("{server-name: \"not a name\"}"),
                "pools.web.tls.server-name: \"not a name\" (expected: a DNS name like db.internal)");
        assertThat(ConfigLoader.parse("listeners:\n  web: {bind: 127.0.0.1:8080, pool: web}\n"
                + "pools:\n  web: {backends: [127.0.0.1:9001], tls: {}, warm-pool: {}}\n", Map.of())
                .pools().get("web").warmPool()).isNotNull();
        assertThat(ConfigLoader.parse("listeners:\n  web: {bind: 127.0.0.1:8080, pool: web}\n"
                + "pools:\n  web: {backends: [127.0.0.1:9001], tls: {}, proxy-protocol: v2}\n", Map.of())
                .pools().get("web").proxyProtocol()).isNotNull();
        assertErrors("listeners:\n  web: {bind: 127.0.0.1:8080, pool: web}\n"
                        + "pools:\n  web: {backends: [127.0.0.1:9001], tls: {}, warm-pool: {}, proxy-protocol: v1}\n",
                "pools.web.tls: with warm-pool and proxy-protocol (expected: at most two of tls, warm-pool and"
                        + " proxy-protocol (a warm socket's handshake is done before its client, whom the PROXY header"
                        + " names, is known))");
    }
}
