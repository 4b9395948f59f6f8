package dev.weir.proxy.config;

import static dev.weir.proxy.config.ConfigAssertions.MINIMAL;
import static dev.weir.proxy.config.ConfigAssertions.assertErrors;
import static dev.weir.proxy.config.ConfigAssertions.parseFails;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Health checks, passive ejection, draining, DNS discovery and reload: the pool keys beyond the static list. */
@Timeout(30)
class ConfigHealthDiscoveryTest {

    private static final HealthCheckConfig DEFAULT_TCP_CHECK = new HealthCheckConfig(HealthCheckType.TCP,
            Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3, 0.10, null, null, null, 0, 0, 0);
    private static final PassiveConfig DEFAULT_PASSIVE =
            new PassiveConfig(3, Duration.ofSeconds(30), Duration.ofMinutes(5));

    @Test
    void everyNewKeyParses() throws Exception {
        Config config = ConfigLoader.parse("""
                listeners:
                  web: {bind: 127.0.0.1:8080, pool: web}
                  api: {bind: 127.0.0.1:8081, pool: api}
                pools:
                  web:
                    backends: [127.0.0.1:9001]
                    health-check:
                      type: send-expect
                      interval: 5s
                      timeout: 1500ms
                      rise: 1
                      fall: 100
                      jitter: 12.5%
                      send: "PING\\r\\n"
                      expect: hex:2b504f4e47
                      port: 8081
                    passive:
                      consecutive-failures: 1000
                      eject-for: 1s
                      max-eject-for: 1s
                    drain-timeout: 0s
                    close-spread: 250ms
                    close-on-down: true
                  api:
                    discovery:
                      dns: api.internal.
                      port: 7000
                      refresh: 1m
                      resolvers: [127.0.0.1:5353, "[::1]:53"]
                      weight: 1000
                    health-check: {type: http, path: '/healthz?full=1', expect: 2xx}
                reload:
                  watch: true
                """, Map.of());

        PoolConfig web = config.pools().get("web");
        assertThat(web).isEqualTo(new PoolConfig("web", BalanceKind.ROUND_ROBIN, Duration.ofSeconds(5), 3,
                List.of(new BackendConfig(new HostPort("127.0.0.1", 9001), 1, null)),
                new HealthCheckConfig(HealthCheckType.SEND_EXPECT, Duration.ofSeconds(5), Duration.ofMillis(1500),
                        1, 100, 0.125, Bytes.utf8("PING\r\n"), Bytes.utf8("+PONG"), null, 0, 0, 8081),
                new PassiveConfig(1000, Duration.ofSeconds(1), Duration.ofSeconds(1)),
                Duration.ZERO, Duration.ofMillis(250), true, null, null, null));
        PoolConfig api = config.pools().get("api");
        assertThat(api.backends()).isEmpty();
        assertThat(api.discovery()).isEqualTo(new DiscoveryConfig("api.internal.", 7000, Duration.ofMinutes(1),
                List.of(new HostPort("127.0.0.1", 5353), new HostPort("::1", 53)), 1000));
        assertThat(api.healthCheck()).isEqualTo(new HealthCheckConfig(HealthCheckType.HTTP, Duration.ofSeconds(2),
                Duration.ofSeconds(1), 2, 3, 0.10, null, null, "/healthz?full=1", 200, 299, 0));
        assertThat(api.passive()).isNull();
        assertThat(config.reload().watch()).isTrue();
    }

    @Test
    void emptySectionsHoldTheirDefaults() throws Exception {
        PoolConfig pool = pool("    health-check: {}\n    passive: {}\n");
        assertThat(pool.healthCheck()).isEqualTo(DEFAULT_TCP_CHECK);
        assertThat(pool.passive()).isEqualTo(DEFAULT_PASSIVE);
        assertThat(pool.drainTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(pool.closeSpread()).isEqualTo(Duration.ofSeconds(10));
        assertThat(pool.closeOnDown()).isFalse();

        // A section whose keys are all commented out reads as empty, as write-buffer and shutdown do.
        assertThat(pool("    health-check:\n    passive:\n").healthCheck()).isEqualTo(DEFAULT_TCP_CHECK);

        assertThat(pool("    health-check: {type: http}\n").healthCheck()).isEqualTo(new HealthCheckConfig(
                HealthCheckType.HTTP, Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3, 0.10, null, null, "/",
                200, 399, 0));

        DiscoveryConfig discovery = ConfigLoader.parse(MINIMAL.replace("backends: [127.0.0.1:9001]",
                "discovery: {dns: web.internal, port: 8080}"), Map.of()).pools().get("web").discovery();
        assertThat(discovery).isEqualTo(new DiscoveryConfig("web.internal", 8080, Duration.ofSeconds(10),
                List.of(), 1));
        assertThat(ConfigLoader.parse("reload: {}\n" + MINIMAL, Map.of()).reload().watch()).isFalse();
    }

    @Test
    void leftOutTimeoutAndCapFollowTheValuesTheyMustRespect() throws Exception {
        // Only a value the operator wrote can break "timeout <= interval" or "max-eject-for >= eject-for".
        PoolConfig pool = pool("    health-check: {interval: 500ms}\n    passive: {eject-for: 10m}\n");
        assertThat(pool.healthCheck().timeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(pool.passive().maxEjectFor()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void healthCheckErrors() {
        assertErrors(MINIMAL + "    health-check: {type: icmp}\n",
                "pools.web.health-check.type: \"icmp\" (expected: one of tcp, send-expect, http)");
        assertErrors(MINIMAL + "    health-check: {type: send-expect}\n",
                "pools.web.health-check.send: missing (expected: bytes to send, for type send-expect)",
                "pools.web.health-check.expect: missing (expected: bytes to find in the reply, for type send-expect)");
        assertErrors(MINIMAL + "    health-check: {send: a, expect: b, path: /}\n",
                "pools.web.health-check.send: not used by type tcp (expected: only with type send-expect)",
                "pools.web.health-check.expect: not used by type tcp (expected: only with type send-expect or http)",
                "pools.web.health-check.path: not used by type tcp (expected: only with type http)");
        assertErrors(MINIMAL + "    health-check: {type: http, send: a}\n",
                "pools.web.health-check.send: not used by type http (expected: only with type send-expect)");
        assertErrors(MINIMAL + "    health-check: {type: send-expect, send: a, expect: b, path: /}\n",
                "pools.web.health-check.path: not used by type send-expect (expected: only with type http)");
        assertErrors(MINIMAL + "    health-check: {type: send-expect, send: a, expect: ''}\n",
                "pools.web.health-check.expect: \"\" (expected: at least one byte to find in the reply)");
        assertErrors(MINIMAL + "    health-check: {timeout: 3s}\n",
                "pools.web.health-check.timeout: 3s (expected: <= interval 2s)");
        assertErrors(MINIMAL + "    health-check: {interval: 1m, timeout: 90s}\n",
                "pools.web.health-check.timeout: 1m30s (expected: <= interval 1m)");
        assertErrors(MINIMAL + "    health-check: {interval: 0s, timeout: 0s, rise: 0, fall: 101, port: 65536}\n",
                "pools.web.health-check.interval: 0s (expected: > 0)",
                "pools.web.health-check.timeout: 0s (expected: > 0)",
                "pools.web.health-check.rise: 0 (expected: 1..100)",
                "pools.web.health-check.fall: 101 (expected: 1..100)",
                "pools.web.health-check.port: 65536 (expected: 0..65535)");
        assertErrors(MINIMAL + "    health-check: {jitter: 80%}\n",
                "pools.web.health-check.jitter: 80% (expected: 0%..50%)");
        assertErrors(MINIMAL + "    health-check: {jitter: 0.1}\n",
                "pools.web.health-check.jitter: \"0.1\" (expected: a percentage like 10%)");
        assertErrors(MINIMAL + "    health-check: {type: send-expect, send: 'hex:abc', expect: 'hex:zz'}\n",
                "pools.web.health-check.send: \"hex:abc\" (expected: hex digits in pairs after hex:)",
                "pools.web.health-check.expect: \"hex:zz\" (expected: hex digits in pairs after hex:)");
        assertErrors(MINIMAL + "    health-check: {type: http, expect: 2xx-9xx}\n",
                "pools.web.health-check.expect: \"2xx-9xx\" "
                        + "(expected: a status range like 200, 200-299, 2xx or 2xx-3xx)");
        assertErrors(MINIMAL + "    health-check: {type: http, path: healthz}\n",
                "pools.web.health-check.path: \"healthz\" "
                        + "(expected: a path starting with /, in printable ASCII without spaces)");
        assertErrors(MINIMAL + "    health-check: {type: http, path: \"/a\\r\\nHost: evil\"}\n",
                "pools.web.health-check.path: \"/a\\u000d\\nHost: evil\" "
                        + "(expected: a path starting with /, in printable ASCII without spaces)");
        assertErrors(MINIMAL + "    health-check: {typ: http}\n",
                "pools.web.health-check.typ: unknown key (did you mean type?)");
        assertErrors(MINIMAL + "    health-check: tcp\n", "pools.web.health-check: \"tcp\" (expected: a map of "
                + "type, interval, timeout, rise, fall, jitter, send, expect, path, port, proxy-protocol, tls)");
    }

    @ParameterizedTest
    @CsvSource({"200, 200, 200", "200-299, 200, 299", "2xx, 200, 299", "2xx-3xx, 200, 399", "200-3xx, 200, 399",
            "5XX, 500, 599", "'204', 204, 204"})
    void httpStatusForms(String expect, int min, int max) throws Exception {
        HealthCheckConfig check = pool("    health-check: {type: http, expect: " + expect + "}\n").healthCheck();
        assertThat(check.statusMin()).isEqualTo(min);
        assertThat(check.statusMax()).isEqualTo(max);
    }

    @ParameterizedTest
    @CsvSource({"2xx-9xx", "300-200", "600", "099", "20", "2x", "2xx-", "ok", "200-299-399"})
    void httpStatusGarbageIsRejected(String expect) {
        assertErrors(MINIMAL + "    health-check: {type: http, expect: '" + expect + "'}\n",
                "pools.web.health-check.expect: \"" + expect + "\" "
                        + "(expected: a status range like 200, 200-299, 2xx or 2xx-3xx)");
    }

    @Test
    void bytesAreTextOrHex() throws Exception {
        HealthCheckConfig check = pool("""
                    health-check:
                      type: send-expect
                      send: "PING\\r\\n"
                      expect: hex:2B504F4E47
                """).healthCheck();
        assertThat(check.send()).isEqualTo(new Bytes(new byte[] {'P', 'I', 'N', 'G', '\r', '\n'}));
        assertThat(check.send()).isEqualTo(pool("""
                    health-check: {type: send-expect, send: 'hex:50494e470d0a', expect: x}
                """).healthCheck().send());
        assertThat(check.expect()).isEqualTo(Bytes.utf8("+PONG"));
        assertThat(check.send().toString()).isEqualTo("hex:50494e470d0a");

        // Single quotes keep backslashes: YAML escapes apply in double quotes only.
        assertThat(pool("    health-check: {type: send-expect, send: 'PING\\r\\n', expect: x}\n")
                .healthCheck().send().length()).isEqualTo(8);
        // Empty send: connect and read the banner (SMTP, SSH) without sending anything.
        assertThat(pool("    health-check: {type: send-expect, send: '', expect: '220 '}\n")
                .healthCheck().send().length()).isZero();
        assertThat(pool("    health-check: {type: send-expect, send: 'hex:', expect: x}\n")
                .healthCheck().send().length()).isZero();
        assertThat(pool("    health-check: {type: send-expect, send: héllo, expect: x}\n")
                .healthCheck().send().length()).isEqualTo(6);
    }

    @Test
    void passiveAndDrainErrors() {
        assertErrors(MINIMAL + "    passive: {consecutive-failures: 0, eject-for: 0s}\n",
                "pools.web.passive.consecutive-failures: 0 (expected: 1..1000)",
                "pools.web.passive.eject-for: 0s (expected: > 0)");
        assertErrors(MINIMAL + "    passive: {eject-for: 1m, max-eject-for: 30s}\n",
                "pools.web.passive.max-eject-for: 30s (expected: >= eject-for 1m)");
        assertErrors(MINIMAL + "    passive: {ejct-for: 1m}\n",
                "pools.web.passive.ejct-for: unknown key (did you mean eject-for?)");
        assertErrors(MINIMAL + "    drain-timeout: soon\n    close-spread: -1s\n    close-on-down: yes\n",
                "pools.web.drain-timeout: \"soon\" (expected: a duration like 250ms, 5s, 2m, 1h)",
                "pools.web.close-spread: \"-1s\" (expected: a duration like 250ms, 5s, 2m, 1h)",
                "pools.web.close-on-down: \"yes\" (expected: true or false)");
        assertErrors(MINIMAL + "    close-on-dwn: true\n",
                "pools.web.close-on-dwn: unknown key (did you mean close-on-down?)");
        assertErrors("reload: {watch: 1, wach: true}\n" + MINIMAL,
                "reload.wach: unknown key (did you mean watch?)",
                "reload.watch: \"1\" (expected: true or false)");
    }

    @Test
    void exactlyOneOfBackendsAndDiscovery() throws Exception {
        assertErrors(MINIMAL + "    discovery: {dns: web.internal, port: 8080}\n",
                "pools.web: both backends and discovery (expected: one of them)");
        assertErrors(MINIMAL.replace("    backends: [127.0.0.1:9001]\n", "    balance: ip-hash\n"),
                "pools.web.backends: missing (expected: a list of backends, or discovery)");
        assertErrors(MINIMAL.replace("[127.0.0.1:9001]", "[]"),
                "pools.web.backends: empty (expected: at least one backend)");
        // Every backend commented out, discovery added: the leftover "backends:" is no second source.
        Config config = ConfigLoader.parse(MINIMAL.replace("[127.0.0.1:9001]", "")
                + "    discovery: {dns: web.internal, port: 8080}\n", Map.of());
        assertThat(config.pools().get("web").backends()).isEmpty();
        assertThat(config.pools().get("web").discovery().dns()).isEqualTo("web.internal");
    }

    @Test
    void discoveryErrors() {
        String discovery = MINIMAL.replace("backends: [127.0.0.1:9001]", "discovery: DISCOVERY");
        assertErrors(discovery.replace("DISCOVERY", "{}"),
                "pools.web.discovery.dns: missing (expected: a DNS name like web.internal)",
                "pools.web.discovery.port: missing (expected: a port in 1..65535)");
        assertErrors(discovery.replace("DISCOVERY",
                        "{dns: 'web internal', port: 0, refresh: 0s, weight: 0, resolvrs: []}"),
                "pools.web.discovery.resolvrs: unknown key (did you mean resolvers?)",
                "pools.web.discovery.dns: \"web internal\" (expected: a DNS name like web.internal)",
                "pools.web.discovery.port: 0 (expected: 1..65535)",
                "pools.web.discovery.refresh: 0s (expected: > 0)",
                "pools.web.discovery.weight: 0 (expected: 1..1000)");
        assertErrors(discovery.replace("DISCOVERY",
                        "{dns: a..b, port: 80, resolvers: [dns.google:53, 10.0.0.2, 10.0.0.256:53, '10.0.0.2:0']}"),
                "pools.web.discovery.dns: \"a..b\" (expected: a DNS name like web.internal)",
                "pools.web.discovery.resolvers[0]: \"dns.google:53\" "
                        + "(expected: ip:port like 10.0.0.2:53 or [fd00::2]:53, not a host name)",
                "pools.web.discovery.resolvers[1]: \"10.0.0.2\" "
                        + "(expected: ip:port like 10.0.0.2:53 or [fd00::2]:53, not a host name)",
                "pools.web.discovery.resolvers[2]: \"10.0.0.256:53\" "
                        + "(expected: ip:port like 10.0.0.2:53 or [fd00::2]:53, not a host name)",
                "pools.web.discovery.resolvers[3]: 10.0.0.2:0 (expected: a port in 1..65535)");
        assertErrors(discovery.replace("DISCOVERY", "{dns: x, port: 1, resolvers: 10.0.0.2:53}"),
                "pools.web.discovery.resolvers: \"10.0.0.2:53\" (expected: a list of DNS servers as ip:port)");
        assertErrors(discovery.replace("DISCOVERY", "{dns: " + "a".repeat(64) + ".b, port: 1}"),
                "pools.web.discovery.dns: \"" + "a".repeat(64) + ".b\" (expected: a DNS name like web.internal)");
    }

    @Test
    void reportsErrorsOfEverySectionTogether() {
        ConfigException e = parseFails(MINIMAL + """
                    health-check: {type: http, expect: 1xx-0xx, timeout: 5s}
                    passive: {consecutive-failures: many}
                    discovery: {port: 80}
                    close-on-down: no
                """);
        assertThat(e.errors()).containsExactly(
                "pools.web: both backends and discovery (expected: one of them)",
                "pools.web.discovery.dns: missing (expected: a DNS name like web.internal)",
                "pools.web.health-check.timeout: 5s (expected: <= interval 2s)",
                "pools.web.health-check.expect: \"1xx-0xx\" "
                        + "(expected: a status range like 200, 200-299, 2xx or 2xx-3xx)",
                "pools.web.passive.consecutive-failures: \"many\" (expected: an integer)",
                "pools.web.close-on-down: \"no\" (expected: true or false)");
    }

    /**
     * The reference keeps its optional sections commented out (a real one would change behaviour). Uncommented, each
     * must hold exactly the defaults, so it must equal the same sections written empty.
     */
    @Test
    void referenceWithEveryExampleUncommentedHoldsTheDefaults() throws Exception {
        String reference = Files.readString(Path.of("../config/weir.yaml"));
        // "# key:" becomes "key:"; prose and doubly commented keys ("#   # send:") stay comments.
        String uncommented = reference.replaceAll("(?m)^( *)# (?= *[a-z][a-z-]*:( |$))", "$1");
        assertThat(uncommented).contains("\n    health-check:", "\n    passive:", "\n    warm-pool:",
                "\n    keep-alive:", "\n  web-dns:", "\n    proxy-protocol:", "\n    sni:", "\n    per-client:",
                "\n    max-connection-duration:", "\n    tls:");

        Config config = ConfigLoader.parse(uncommented, Map.of());
        // Required keys and optional ones without a default hold examples; every other key its default.
        Config expected = ConfigLoader.parse("""
                listeners:
                  web:
                    bind: 127.0.0.1:8080
                    pool: web
                    max-connection-duration: 24h
                    proxy-protocol: {accept: true, trusted: [127.0.0.1/32]}
                    sni: {routes: {"api.example.com": web-dns, "*.example.com": web}, default: web}
                    per-client: {}
                    tls: {certificates: [{cert: /etc/weir/web.pem, key: /etc/weir/web.key}]}
                pools:
                  web:
                    backends: [127.0.0.1:9001, {address: 127.0.0.1:9002, weight: 2},
                               {address: 127.0.0.1:9003, name: web-3}]
                    proxy-protocol: v2
                    health-check: {}
                    passive: {}
                    warm-pool: {}
                    keep-alive: {}
                  web-dns:
                    discovery: {dns: web.internal, port: 8080}
                    tls: {}
                """, Map.of());
        assertThat(config).isEqualTo(expected);
        assertThat(config.pools().get("web").healthCheck()).isEqualTo(DEFAULT_TCP_CHECK);
    }

    @Test
    void durationsAreWrittenBackAsTheConfigWritesThem() {
        assertThat(Units.formatDuration(Duration.ZERO)).isEqualTo("0s");
        assertThat(Units.formatDuration(Duration.ofMillis(250))).isEqualTo("250ms");
        assertThat(Units.formatDuration(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(Units.formatDuration(Duration.ofHours(26).plusMillis(5))).isEqualTo("26h5ms");
        for (String text : List.of("1h30m", "1s500ms", "2s", "5m")) {
            assertThat(Units.formatDuration(Units.parseDuration(text))).isEqualTo(text);
        }
    }

    private static PoolConfig pool(String poolKeys) throws ConfigException {
        return ConfigLoader.parse(MINIMAL + poolKeys, Map.of()).pools().get("web");
    }
}
