package dev.weir.proxy.config;

import static dev.weir.proxy.config.ConfigAssertions.MINIMAL;
import static dev.weir.proxy.config.ConfigAssertions.assertErrors;
import static dev.weir.proxy.config.ConfigAssertions.parseFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** PROXY protocol in and out, SNI routes, access lists, per-client and per-backend limits (issue 7). */
@Timeout(30)
class ConfigEdgeTest {

    /** Two pools, and a listener whose edge keys are appended below it (indented 4). */
    private static final String TWO_POOLS = """
            pools:
              web:
                backends: [127.0.0.1:9001]
              api:
                backends: [127.0.0.1:9002]
            listeners:
              web:
                bind: 127.0.0.1:8080
                pool: web
            """;

    @Test
    void everyKeyParsesWithExactValues() throws Exception {
        Config config = ConfigLoader.parse("""
                listeners:
                  web:
                    bind: 127.0.0.1:8080
                    pool: web
                    proxy-protocol:
                      accept: true
                      trusted: [10.0.0.0/8, 127.0.0.1/32, "fd00::/8", "::1"]
                      timeout: 1500ms
                      max-tlv-size: 1KiB
                    sni:
                      routes: {"API.Example.com": api, "*.example.com": web, "Z.example.com": web, "a.example.com": api}
                      default: web
                      max-client-hello: 8KiB
                      timeout: 2s
                    allow: [10.0.0.0/8, fd00::/8, 192.168.1.7]
                    deny: [10.1.0.0/16]
                    per-client:
                      max-connections: 100
                      connect-rate: 50/s
                    max-connection-duration: 1h
                  other:
                    bind: 127.0.0.1:8081
                    pool: api
                    per-client: {connect-rate: 600/m}
                pools:
                  web:
                    proxy-protocol: v2
                    health-check:
                      proxy-protocol: true
                    backends:
                      - {address: 127.0.0.1:9001, max-connections: 500}
                      - address: 127.0.0.1:9002
                        max-connections: 1000000
                      - 127.0.0.1:9003
                  api:
                    proxy-protocol: v1
                    backends: [127.0.0.1:9004]
                """, Map.of());

        EdgeConfig web = config.listeners().get("web").edge();
        Map<String, String> routes = new LinkedHashMap<>();
        routes.put("api.example.com", "api");
        routes.put("*.example.com", "web");
        routes.put("z.example.com", "web");
        routes.put("a.example.com", "api");
        assertThat(web).isEqualTo(new EdgeConfig(
                new EdgeConfig.ProxyProtocolAccept(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("127.0.0.1/32"),
                        Cidr.parse("fd00::/8"), Cidr.parse("::1/128")), Duration.ofMillis(1500), 1024),
                new EdgeConfig.Sni(routes, "web", 8 * 1024, Duration.ofSeconds(2)),
                List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/8"), Cidr.parse("192.168.1.7/32")),
                List.of(Cidr.parse("10.1.0.0/16")),
                new EdgeConfig.PerClient(100, 50.0),
                Duration.ofHours(1)));
        // Lower-cased, in file order.
        assertThat(web.sni().routes()).containsExactly(entry("api.example.com", "api"),
                entry("*.example.com", "web"), entry("z.example.com", "web"), entry("a.example.com", "api"));
        assertThat(web.allow()).extracting(Cidr::prefix).containsExactly(8, 8, 32);
        assertThat(web.proxyProtocol().trusted()).extracting(Cidr::prefix).containsExactly(8, 32, 8, 128);

        EdgeConfig other = config.listeners().get("other").edge();
        assertThat(other).isEqualTo(new EdgeConfig(null, null, List.of(), List.of(),
                new EdgeConfig.PerClient(0, 10.0), null));

        PoolConfig webPool = config.pools().get("web");
        assertThat(webPool.proxyProtocol()).isEqualTo(ProxyProtocolVersion.V2);
        assertThat(webPool.healthCheck().proxyProtocol()).isTrue();
        assertThat(webPool.backends()).extracting(BackendConfig::maxConnections).containsExactly(500, 1_000_000, 0);
        assertThat(config.pools().get("api").proxyProtocol()).isEqualTo(ProxyProtocolVersion.V1);
    }

    @Test
    void absentKeysHoldTheDefaults() throws Exception {
        Config config = ConfigLoader.parse(MINIMAL + "    health-check: {}\n", Map.of());
        assertThat(config.listeners().get("web").edge()).isSameAs(EdgeConfig.NONE);
        PoolConfig pool = config.pools().get("web");
        assertThat(pool.proxyProtocol()).isNull();
        assertThat(pool.healthCheck().proxyProtocol()).isFalse();
        assertThat(pool.backends()).extracting(BackendConfig::maxConnections).containsExactly(0);

        // Empty lists and commented-out lists are the defaults too.
        assertThat(listener("    allow: []\n    deny:\n").edge()).isSameAs(EdgeConfig.NONE);
        assertThat(edge("    proxy-protocol: {accept: true, trusted: [10.0.0.0/8]}\n").proxyProtocol())
                .isEqualTo(new EdgeConfig.ProxyProtocolAccept(List.of(Cidr.parse("10.0.0.0/8")),
                        Duration.ofSeconds(3), 4 * 1024));
        assertThat(edge("    sni: {routes: {a.example.com: web}}\n").sni()).isEqualTo(new EdgeConfig.Sni(
                Map.of("a.example.com", "web"), null, 16 * 1024, Duration.ofSeconds(5)));
        assertThat(edge("    per-client: {}\n").perClient()).isEqualTo(new EdgeConfig.PerClient(0, 0.0));
        assertThat(edge("    per-client:\n").perClient()).isEqualTo(new EdgeConfig.PerClient(0, 0.0));
    }

    @Test
    void rangesAtTheirLimitsParse() throws Exception {
        EdgeConfig edge = edge("""
                    proxy-protocol: {accept: true, trusted: [0.0.0.0/0, "::/0"], timeout: 1m, max-tlv-size: 64KiB}
                    sni: {routes: {"*.com": web}, max-client-hello: 512, timeout: 1ms}
                    per-client: {max-connections: 1000000}
                    max-connection-duration: 1ms
                """);
        assertThat(edge.proxyProtocol().timeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(edge.proxyProtocol().maxTlvBytes()).isEqualTo(64 * 1024);
        assertThat(edge.sni().maxClientHello()).isEqualTo(512);
        assertThat(edge.perClient().maxConnections()).isEqualTo(1_000_000);
        assertThat(edge.maxConnectionDuration()).isEqualTo(Duration.ofMillis(1));
        assertThat(edge("    proxy-protocol: {accept: true, trusted: [10.0.0.1], max-tlv-size: 0}\n")
                .proxyProtocol().maxTlvBytes()).isZero();
        assertThat(edge("    sni: {routes: {\"*.example.com\": web}, max-client-hello: 64KiB}\n").sni()
                .maxClientHello()).isEqualTo(64 * 1024);
    }

    @ParameterizedTest
    @CsvSource({"50/s, 50.0", "600/m, 10.0", "10/s, 10.0", "0.5/s, 0.5", "30/m, 0.5", "1/m, 0.016666666666666666",
            "1000000/s, 1000000.0"})
    void connectRates(String rate, double perSecond) throws Exception {
        assertThat(edge("    per-client: {connect-rate: " + rate + "}\n").perClient())
                .isEqualTo(new EdgeConfig.PerClient(0, perSecond));
    }

    @ParameterizedTest
    @ValueSource(strings = {"fast", "50", "50/h", "50 /s", "-1/s", "1e3/s", ".5/s", "50/S", "50/sec", "5/s/s"})
    void connectRateGarbage(String rate) {
        assertErrors(MINIMAL.replace("pool: web}", "pool: web, per-client: {connect-rate: \"" + rate + "\"}}"),
                "listeners.web.per-client.connect-rate: \"" + rate + "\" (expected: a rate like 50/s or 600/m)");
    }

    @Test
    void connectRateMustBePositive() {
        assertErrors(MINIMAL.replace("pool: web}", "pool: web, per-client: {connect-rate: 0/s}}"),
                "listeners.web.per-client.connect-rate: 0/s (expected: > 0; leave connect-rate out for no limit)");
        assertErrors(MINIMAL.replace("pool: web}", "pool: web, per-client: {connect-rate: 0.000/m}}"),
                "listeners.web.per-client.connect-rate: 0.000/m (expected: > 0; leave connect-rate out for no limit)");
    }

    @Test
    void cidrsInV4AndV6() throws Exception {
        EdgeConfig edge = edge("""
                    allow:
                      - 10.0.0.0/8
                      - 172.16.0.0/12
                      - fd00::/8
                      - 2001:db8::/32
                      - 203.0.113.9
                      - ::1
                    deny: ["10.1.0.0/16", "fd00:1::/32"]
                """);
        assertThat(edge.allow()).containsExactly(Cidr.parse("10.0.0.0/8"), Cidr.parse("172.16.0.0/12"),
                Cidr.parse("fd00::/8"), Cidr.parse("2001:db8::/32"), Cidr.parse("203.0.113.9/32"),
                Cidr.parse("::1/128"));
        assertThat(edge.allow()).extracting(Cidr::toString).containsExactly("10.0.0.0/8", "172.16.0.0/12",
                "fd00::/8", "2001:db8::/32", "203.0.113.9", "::1");
        assertThat(edge.deny()).containsExactly(Cidr.parse("10.1.0.0/16"), Cidr.parse("fd00:1::/32"));
        assertThat(edge.proxyProtocol()).isNull();
        assertThat(edge.sni()).isNull();
        assertThat(edge.perClient()).isNull();
        assertThat(edge.maxConnectionDuration()).isNull();
    }

    @Test
    void badCidrsNameTheirItemAndReason() {
        assertErrors(MINIMAL.replace("pool: web}", "pool: web, allow: [10.0.0.0/8, \"10.0.0.0/33\"]}"),
                "listeners.web.allow[1]: \"10.0.0.0/33\" (expected: a CIDR like 10.0.0.0/8 or fd00::/8: "
                        + "prefix length 33 out of 0..32)");
        assertErrors(listenerYaml("""
                    allow: [web.internal, "fd00::/129"]
                    deny: ["10.0.0.0/x", 999.1.1.1]
                """),
                "listeners.web.allow[0]: \"web.internal\" (expected: a CIDR like 10.0.0.0/8 or fd00::/8: "
                        + "not an IP address)",
                "listeners.web.allow[1]: \"fd00::/129\" (expected: a CIDR like 10.0.0.0/8 or fd00::/8: "
                        + "prefix length 129 out of 0..128)",
                "listeners.web.deny[0]: \"10.0.0.0/x\" (expected: a CIDR like 10.0.0.0/8 or fd00::/8: "
                        + "prefix length is not a number)",
                "listeners.web.deny[1]: \"999.1.1.1\" (expected: a CIDR like 10.0.0.0/8 or fd00::/8: "
                        + "not an IP address)");
        assertErrors(MINIMAL.replace("pool: web}", "pool: web, deny: 10.0.0.0/8}"),
                "listeners.web.deny: \"10.0.0.0/8\" (expected: a list of CIDRs like [10.0.0.0/8, fd00::/8])");
        assertErrors(listenerYaml("    proxy-protocol: {accept: true, trusted: [10.0.0.0/8, \"\"]}\n"),
                "listeners.web.proxy-protocol.trusted[1]: \"\" (expected: a CIDR like 10.0.0.0/8 or fd00::/8: "
                        + "not an IP address)");
    }

    @Test
    void routesAndDefaultMustNameAPool() {
        assertErrors(TWO_POOLS + "    sni: {routes: {\"api.example.com\": nope, \"*.example.com\": web}}\n",
                "listeners.web.sni.routes.\"api.example.com\": \"nope\" is not a pool (pools: web, api)");
        assertErrors(TWO_POOLS + "    sni: {routes: {\"*.example.com\": api}, default: gone}\n",
                "listeners.web.sni.default: \"gone\" is not a pool (pools: web, api)");
        assertErrors(TWO_POOLS + "    sni: {routes: {\"a.example.com\": }}\n",
                "listeners.web.sni.routes.\"a.example.com\": missing (expected: a pool name)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"*", "a.*.com", "", " ", "api example.com", "*.*.com", "**.example.com", "*example.com",
            "example.com.", ".example.com", "a..com", "-a.example.com", "a-.example.com", "10.0.0.1", "*.10.0.0.1",
            "api.example.com:443", "https://api.example.com", "bücher.example", "[::1]"})
    void badServerNames(String name) {
        assertErrors(TWO_POOLS + "    sni: {routes: {" + NodeReader.quote(name) + ": web}}\n",
                "listeners.web.sni.routes: " + NodeReader.quote(name)
                        + " (expected: a server name like api.example.com or *.example.com)");
    }

    @Test
    void serverNamesIgnoreCaseAndAppearOnce() {
        assertErrors(TWO_POOLS + "    sni: {routes: {\"api.example.com\": web, \"API.Example.COM\": api}}\n",
                "listeners.web.sni.routes: \"API.Example.COM\" (expected: each server name once, in any case; "
                        + "listeners.web.sni.routes.\"api.example.com\" has it)");
        assertErrors(TWO_POOLS + "    sni: {routes: {\"*.Example.com\": web, \"*.example.COM\": api}}\n",
                "listeners.web.sni.routes: \"*.example.COM\" (expected: each server name once, in any case; "
                        + "listeners.web.sni.routes.\"*.Example.com\" has it)");
        assertErrors(TWO_POOLS + "    sni: {routes: {\"a.example.com\": web, \"a.example.com\": api}}\n",
                "listeners.web.sni.routes.\"a.example.com\": duplicate key (expected: each key once)");
    }

    @Test
    void sniSectionErrors() {
        String routesExpected = "a map of server name to pool, like {\"api.example.com\": api, \"*.example.com\": web}";
        assertErrors(TWO_POOLS + "    sni: {default: web}\n",
                "listeners.web.sni.routes: missing (expected: " + routesExpected + ")");
        assertErrors(TWO_POOLS + "    sni:\n", "listeners.web.sni.routes: missing (expected: " + routesExpected + ")");
        assertErrors(TWO_POOLS + "    sni: {routes: {}}\n",
                "listeners.web.sni.routes: empty (expected: at least one server name)");
        assertErrors(TWO_POOLS + "    sni: {routes: [a.example.com]}\n",
                "listeners.web.sni.routes: a list (expected: " + routesExpected + ")");
        assertErrors(TWO_POOLS + "    sni: {routes: {a.example.com: web}, max-client-hello: 511, timeout: 0s}\n",
                "listeners.web.sni.max-client-hello: 511 (expected: 512..64KiB)",
                "listeners.web.sni.timeout: 0s (expected: > 0)");
        assertErrors(TWO_POOLS + "    sni: {routes: {a.example.com: web}, max-client-hello: 65537}\n",
                "listeners.web.sni.max-client-hello: 65537 (expected: 512..64KiB)");
        assertErrors(TWO_POOLS + "    sni: web\n",
                "listeners.web.sni: \"web\" (expected: a map of routes, default, max-client-hello, timeout)");
    }

    @Test
    void healthCheckProxyProtocolNeedsThePoolsProxyProtocol() throws Exception {
        assertErrors(MINIMAL + "    health-check: {proxy-protocol: true}\n",
                "pools.web.health-check.proxy-protocol: true (expected: only with pools.web.proxy-protocol set)");
        assertThat(ConfigLoader.parse(MINIMAL + "    proxy-protocol: v1\n    health-check: {proxy-protocol: true}\n",
                Map.of()).pools().get("web").healthCheck().proxyProtocol()).isTrue();
        // false needs nothing; a bad pool value is reported once, not again through the health check.
        assertThat(ConfigLoader.parse(MINIMAL + "    health-check: {proxy-protocol: false}\n", Map.of())
                .pools().get("web").healthCheck().proxyProtocol()).isFalse();
        assertErrors(MINIMAL + "    proxy-protocol: v3\n    health-check: {proxy-protocol: true}\n",
                "pools.web.proxy-protocol: \"v3\" (expected: one of v1, v2)");
        assertErrors(MINIMAL + "    health-check: {proxy-protocol: yes}\n",
                "pools.web.health-check.proxy-protocol: \"yes\" (expected: true or false)");
    }

    @Test
    void acceptFalseTurnsTheSectionOff() throws Exception {
        assertThat(listener("    proxy-protocol: {accept: false, trusted: [10.0.0.0/8], timeout: 5s}\n").edge())
                .isSameAs(EdgeConfig.NONE);
        assertThat(listener("    proxy-protocol: {accept: false}\n").edge()).isSameAs(EdgeConfig.NONE);
        assertThat(listener("    proxy-protocol: {accept: false, trusted: []}\n").edge()).isSameAs(EdgeConfig.NONE);
        // Still checked, so that switching it on reveals no error then.
        assertErrors(listenerYaml("    proxy-protocol: {accept: false, trusted: [10.0.0.0/40], timeot: 5s}\n"),
                "listeners.web.proxy-protocol.timeot: unknown key (did you mean timeout?)",
                "listeners.web.proxy-protocol.trusted[0]: \"10.0.0.0/40\" (expected: a CIDR like 10.0.0.0/8 "
                        + "or fd00::/8: prefix length 40 out of 0..32)");
    }

    @Test
    void proxyProtocolErrors() {
        String trustedExpected = "a list of CIDRs of the proxies that send the header, like [10.0.0.0/8]";
        assertErrors(listenerYaml("    proxy-protocol: {accept: true, trusted: []}\n"),
                "listeners.web.proxy-protocol.trusted: empty (expected: at least one CIDR; "
                        + "a header is taken only from these)");
        assertErrors(listenerYaml("    proxy-protocol: {accept: true}\n"),
                "listeners.web.proxy-protocol.trusted: missing (expected: " + trustedExpected + ")");
        assertErrors(listenerYaml("    proxy-protocol:\n"),
                "listeners.web.proxy-protocol.accept: missing (expected: true, or false for no header)",
                "listeners.web.proxy-protocol.trusted: missing (expected: " + trustedExpected + ")");
        assertErrors(listenerYaml("    proxy-protocol: {accept: yes, trusted: [10.0.0.0/8]}\n"),
                "listeners.web.proxy-protocol.accept: \"yes\" (expected: true or false)");
        assertErrors(listenerYaml("    proxy-protocol: {accept: true, trusted: [10.0.0.0/8], timeout: 0s, "
                        + "max-tlv-size: 65KiB}\n"),
                "listeners.web.proxy-protocol.timeout: 0s (expected: > 0)",
                "listeners.web.proxy-protocol.max-tlv-size: 65KiB (expected: 0..64KiB)");
        assertErrors(listenerYaml("    proxy-protocol: {accept: true, trusted: [10.0.0.0/8], timeout: 61s}\n"),
                "listeners.web.proxy-protocol.timeout: 1m1s (expected: <= 1m)");
        assertErrors(listenerYaml("    proxy-protocol: v2\n"), "listeners.web.proxy-protocol: \"v2\" "
                + "(expected: a map of accept, trusted, timeout, max-tlv-size)");
    }

    @Test
    void limitErrors() {
        assertErrors(listenerYaml("    per-client: {max-connections: 1000001}\n    max-connection-duration: 0s\n"),
                "listeners.web.per-client.max-connections: 1000001 (expected: 0..1000000)",
                "listeners.web.max-connection-duration: 0s (expected: > 0)");
        assertErrors(listenerYaml("    per-client: {max-connections: -1}\n"),
                "listeners.web.per-client.max-connections: -1 (expected: 0..1000000)");
        assertErrors(MINIMAL.replace("[127.0.0.1:9001]", "[{address: 127.0.0.1:9001, max-connections: -1}, "
                        + "{address: 127.0.0.1:9002, max-connections: lots}]"),
                "pools.web.backends[0].max-connections: -1 (expected: 0..1000000)",
                "pools.web.backends[1].max-connections: \"lots\" (expected: an integer)");
        assertErrors(MINIMAL + "    proxy-protocol: V2\n",
                "pools.web.proxy-protocol: \"V2\" (expected: one of v1, v2)");
    }

    @Test
    void unknownKeysSuggestTheClosest() {
        assertErrors(listenerYaml("    allowed: [10.0.0.0/8]\n    per-clinet: {}\n    sni: {route: {}}\n"),
                "listeners.web.allowed: unknown key (did you mean allow?)",
                "listeners.web.per-clinet: unknown key (did you mean per-client?)",
                "listeners.web.sni.route: unknown key (did you mean routes?)",
                "listeners.web.sni.routes: missing (expected: a map of server name to pool, "
                        + "like {\"api.example.com\": api, \"*.example.com\": web})");
        assertErrors(listenerYaml("    per-client: {rate: 5/s}\n"),
                "listeners.web.per-client.rate: unknown key (expected: one of max-connections, connect-rate)");
        assertErrors(listenerYaml("    proxy-protocol: {accept: true, trust: [10.0.0.0/8]}\n"),
                "listeners.web.proxy-protocol.trust: unknown key (did you mean trusted?)",
                "listeners.web.proxy-protocol.trusted: missing (expected: a list of CIDRs of the proxies that send "
                        + "the header, like [10.0.0.0/8])");
        assertErrors(MINIMAL.replace("[127.0.0.1:9001]", "[{address: 127.0.0.1:9001, max-connection: 5}]")
                        + "    proxy-protocl: v2\n",
                "pools.web.proxy-protocl: unknown key (did you mean proxy-protocol?)",
                "pools.web.backends[0].max-connection: unknown key (did you mean max-connections?)");
    }

    @Test
    void everyErrorIsReportedInOnePass() {
        assertErrors(TWO_POOLS + """
                    proxy-protocol: {accept: true, trusted: [], timeout: 2m}
                    sni: {routes: {"a.*.com": web, "b.example.com": nope}, default: gone}
                    allow: [10.0.0.0/33]
                    per-client: {connect-rate: fast}
                    max-connection-duration: forever
                """,
                "listeners.web.proxy-protocol.trusted: empty (expected: at least one CIDR; "
                        + "a header is taken only from these)",
                "listeners.web.proxy-protocol.timeout: 2m (expected: <= 1m)",
                "listeners.web.sni.routes: \"a.*.com\" (expected: a server name like api.example.com or *.example.com)",
                "listeners.web.allow[0]: \"10.0.0.0/33\" (expected: a CIDR like 10.0.0.0/8 or fd00::/8: "
                        + "prefix length 33 out of 0..32)",
                "listeners.web.per-client.connect-rate: \"fast\" (expected: a rate like 50/s or 600/m)",
                "listeners.web.max-connection-duration: \"forever\" (expected: a duration like 250ms, 5s, 2m, 1h)",
                "listeners.web.sni.routes.\"b.example.com\": \"nope\" is not a pool (pools: web, api)",
                "listeners.web.sni.default: \"gone\" is not a pool (pools: web, api)");
    }

    @Test
    void shippedConfigsLoadWithoutEdgeFeatures() throws Exception {
        Config reference = ConfigLoader.load(Path.of("../config/weir.yaml"));
        assertThat(reference.listeners().get("web").edge()).isSameAs(EdgeConfig.NONE);
        assertThat(reference.pools().get("web").proxyProtocol()).isNull();
        assertThat(reference.pools().get("web").backends()).extracting(BackendConfig::maxConnections)
                .containsExactly(0, 0, 0);

        Config demo = ConfigLoader.load(Path.of("../config/demo.yaml"));
        assertThat(demo.listeners().values()).extracting(ListenerConfig::edge)
                .containsExactly(EdgeConfig.NONE, EdgeConfig.NONE);
        assertThat(demo.pools().values()).extracting(PoolConfig::proxyProtocol).containsOnlyNulls();
    }

    /** The reference's commented examples, uncommented: the edge keys with their examples and defaults. */
    @Test
    void referenceUncommentedHoldsTheEdgeExamples() throws Exception {
        String uncommented = Files.readString(Path.of("../config/weir.yaml"))
                .replaceAll("(?m)^( *)# (?= *[a-z][a-z-]*:( |$))", "$1");
        Config config = ConfigLoader.parse(uncommented, Map.of());

        Map<String, String> routes = new LinkedHashMap<>();
        routes.put("api.example.com", "web-dns");
        routes.put("*.example.com", "web");
        assertThat(config.listeners().get("web").edge()).isEqualTo(new EdgeConfig(
                new EdgeConfig.ProxyProtocolAccept(List.of(Cidr.parse("127.0.0.1/32")), Duration.ofSeconds(3),
                        4 * 1024),
                new EdgeConfig.Sni(routes, "web", 16 * 1024, Duration.ofSeconds(5)),
                List.of(), List.of(), new EdgeConfig.PerClient(0, 0.0), Duration.ofHours(24)));
        PoolConfig web = config.pools().get("web");
        assertThat(web.proxyProtocol()).isEqualTo(ProxyProtocolVersion.V2);
        assertThat(web.healthCheck().proxyProtocol()).isFalse();
    }

    private static String listenerYaml(String edgeKeys) {
        return MINIMAL.replace("  web: {bind: 127.0.0.1:8080, pool: web}\n",
                "  web:\n    bind: 127.0.0.1:8080\n    pool: web\n" + edgeKeys);
    }

    private static ListenerConfig listener(String edgeKeys) throws ConfigException {
        return ConfigLoader.parse(listenerYaml(edgeKeys), Map.of()).listeners().get("web");
    }

    private static EdgeConfig edge(String edgeKeys) throws ConfigException {
        return listener(edgeKeys).edge();
    }
}
