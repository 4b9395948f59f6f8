package dev.weir.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/** A config written back as weir.yaml's tree: every key in effect, the token as a reference, and it loads the same. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConfigTreeTest {

    private static final String SECRET = "s3cret-Token";

    /** Every section on, every key given a value other than its default where it has one. */
    static final String EVERY_KEY = """
            transport: nio
            tls-provider: jdk
            event-loop-threads: 3
            event-loop-spin: 20us
            max-read: 64KiB
            listeners:
              web:
                bind: 127.0.0.1:0
                pool: web
                max-connections: 500
                idle-timeout: 1h30m
                write-buffer: {low: 16KiB, high: 100000}
                proxy-protocol: {accept: true, trusted: [10.0.0.0/8, "fd00::/8", 127.0.0.1], timeout: 2s, max-tlv-size: 1KiB}
                allow: [0.0.0.0/0, "::/0"]
                deny: [192.0.2.1]
                per-client: {max-connections: 7, connect-rate: 1/m}
                max-connection-duration: 24h
                tls:
                  certificates: [{cert: /etc/weir/a.pem, key: /etc/weir/a.key}, {cert: b.pem, key: b.key}]
                  protocols: [TLSv1.3]
                  ciphers: [TLS_AES_128_GCM_SHA256]
                  alpn: [h2, http/1.1]
                  client-auth: optional
                  client-ca: /etc/weir/ca.pem
                  handshake-timeout: 250ms
                  session-tickets: {enabled: false, rotate: 1h}
                sni:
                  routes: {"api.example.com": api, "*.example.com": {pool: legacy, passthrough: true}}
                  default: web
                  max-client-hello: 4KiB
                  timeout: 1s
              edge:
                bind: "[::1]:0"
                pool: api
                per-client: {connect-rate: 2.5/s}
            pools:
              web:
                balance: least-connections
                connect-timeout: 750ms
                connect-attempts: 2
                backends:
                  - 127.0.0.1:9001
                  - {address: "[::1]:9002", weight: 5, name: six, max-connections: 9}
                health-check:
                  type: http
                  interval: 3s
                  rise: 4
                  fall: 5
                  jitter: 12.5%
                  path: /healthz?deep=1
                  expect: 2xx
                  port: 8081
                  proxy-protocol: true
                  tls: false
                passive: {consecutive-failures: 4, eject-for: 10m}
                drain-timeout: 0s
                close-spread: 1m
                close-on-down: true
                keep-alive: {idle: 1m, interval: 5s, count: 4}
                proxy-protocol: v2
                tls: {verify: false, ca: ca.pem, server-name: db.internal, cert: c.pem, key: c.key}
              api:
                balance: ip-hash
                discovery: {dns: api.internal., port: 8443, refresh: 2s, resolvers: [127.0.0.1:5353, "[::1]:53"], weight: 3}
                health-check: {type: send-expect, send: "PING\\r\\n", expect: "hex:2b504f4e47"}
              legacy:
                backends: [10.1.1.1:443]
                health-check: {type: send-expect, send: "", expect: "é ok"}
                warm-pool: {min-idle: 2, max-idle-time: 45s}
            shutdown: {drain-timeout: 2m}
            reload: {watch: true}
            admin:
              bind: 127.0.0.1:0
              token: ${WEIR_TEST_TOKEN:-}
              allowed-hosts: [weir-admin.weir.svc, Example.COM]
            access-log: {enabled: false, format: json}
            """;

    private static final Map<String, String> ENV = Map.of("WEIR_TEST_TOKEN", SECRET);

    @Test
    void everyKeyReadsBackTheSameAsJsonAndAsYaml() throws Exception {
        Config config = ConfigLoader.parse(EVERY_KEY, ENV);
        Map<String, Object> tree = ConfigTree.of(config);
        String json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(tree);
        String yaml = yaml(tree);
        assertThat(json).doesNotContain(SECRET);
        assertThat(yaml).doesNotContain(SECRET);
        for (String text : List.of(json, yaml)) {
            Config again = ConfigLoader.parse(text, ENV);
            assertThat(again).as(text).isEqualTo(config);
            assertThat(ConfigTree.of(again)).isEqualTo(tree);
        }
    }

    @Test
    void valuesAreWrittenInTheConfigsOwnUnits() throws Exception {
        Map<String, Object> tree = ConfigTree.of(ConfigLoader.parse(EVERY_KEY, ENV));
        assertThat(tree.get("event-loop-spin")).isEqualTo("20us");
        assertThat(tree.get("max-read")).isEqualTo("64KiB");
        assertThat(tree.get("event-loop-threads")).isEqualTo(3);
        Map<String, Object> web = at(tree, "listeners", "web");
        assertThat(web.get("idle-timeout")).isEqualTo("1h30m");
        assertThat(web.get("write-buffer")).isEqualTo(Map.of("low", "16KiB", "high", "100000"));
        assertThat(at(web, "per-client").get("connect-rate")).isEqualTo("1/m");
        assertThat(at(tree, "listeners", "edge", "per-client")).isEqualTo(Map.of("max-connections", 0,
                "connect-rate", "2.5/s"));
        assertThat(at(web, "sni", "routes")).isEqualTo(Map.of("api.example.com", "api",
                "*.example.com", Map.of("pool", "legacy", "passthrough", true)));
        assertThat(at(web, "tls").get("handshake-timeout")).isEqualTo("250ms");
        Map<String, Object> check = at(tree, "pools", "web", "health-check");
        assertThat(check.get("jitter")).isEqualTo("12.5%");
        assertThat(check.get("timeout")).as("its default, 1s, in effect").isEqualTo("1s");
        assertThat(check.get("expect")).isEqualTo("2xx");
        assertThat(check).doesNotContainKeys("send");
        assertThat(at(tree, "pools", "web", "passive").get("max-eject-for")).as("grown to eject-for").isEqualTo("10m");
        assertThat(at(tree, "pools", "api", "health-check").get("send")).isEqualTo("PING\r\n");
        assertThat(at(tree, "pools", "api", "health-check").get("expect")).isEqualTo("+PONG");
        assertThat(at(tree, "pools", "api")).doesNotContainKey("backends");
        assertThat(at(tree, "admin").get("allowed-hosts")).isEqualTo(List.of("weir-admin.weir.svc", "example.com"));
    }

    @Test
    void defaultsInEffectAreWrittenAndSectionsThatAreOffAreLeftOut() throws Exception {
        Config minimal = ConfigLoader.parse("listeners: {web: {bind: 127.0.0.1:0, pool: web}}\n"
                + "pools: {web: {backends: [127.0.0.1:9001]}}\n", Map.of());
        Map<String, Object> tree = ConfigTree.of(minimal);
        assertThat(tree.get("event-loop-spin")).isEqualTo("0s");
        assertThat(at(tree, "listeners", "web")).containsEntry("max-connections", 10000)
                .containsEntry("idle-timeout", "1h").containsEntry("allow", List.of())
                .doesNotContainKeys("tls", "sni", "proxy-protocol", "per-client", "max-connection-duration");
        assertThat(at(tree, "pools", "web")).containsEntry("balance", "round-robin").containsEntry("drain-timeout", "5m")
                .containsEntry("backends", List.of(Map.of("address", "127.0.0.1:9001", "weight", 1,
                        "max-connections", 0)))
                .doesNotContainKeys("health-check", "passive", "warm-pool", "keep-alive", "proxy-protocol", "tls",
                        "discovery");
        assertThat(at(tree, "admin")).isEqualTo(Map.of("bind", "127.0.0.1:8405", "token", "", "allowed-hosts",
                List.of(), "header-timeout", "5s", "max-connections-per-client", 16));
        assertThat(ConfigLoader.parse(yaml(tree), Map.of())).isEqualTo(minimal);
    }

    @Test
    void theReferenceWithEverySectionOnReadsBackTheSame() throws Exception {
        String reference = Files.readString(Path.of("../config/weir.yaml"))
                .replaceAll("(?m)^( *)# (?= *[a-z][a-z-]*:( |$))", "$1");
        Config config = ConfigLoader.parse(reference, Map.of());
        assertThat(ConfigLoader.parse(yaml(ConfigTree.of(config)), Map.of())).isEqualTo(config);
    }

    @Test
    void theTokenIsWrittenAsTheVariableItCameFrom() throws Exception {
        String base = "listeners: {web: {bind: 127.0.0.1:0, pool: web}}\npools: {web: {backends: [127.0.0.1:9001]}}\n";
        assertThat(token(base + "admin: {token: '${MY_TOKEN}'}\n", Map.of("MY_TOKEN", SECRET))).isEqualTo("${MY_TOKEN}");
        assertThat(token(base + "admin: {token: '${MY_TOKEN:-fallback}'}\n", Map.of()))
                .as("the default, a secret too, is not shown").isEqualTo("${MY_TOKEN}");
        assertThat(token(base + "admin: {token: " + SECRET + "}\n", Map.of()))
                .as("written in the file: the conventional variable").isEqualTo("${WEIR_ADMIN_TOKEN}");
        assertThat(token(base + "admin: {token: 'pre-${MY_TOKEN}'}\n", Map.of("MY_TOKEN", SECRET)))
                .as("not one reference: the value is not the variable's").isEqualTo("${WEIR_ADMIN_TOKEN}");
        assertThat(token(base + "admin: {token: '${MY_TOKEN:-}'}\n", Map.of())).as("none").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"PING\r\n", "", "é\t", "\u0000\u0001", "hex:00", "${HOME}", "\u0085", "\ud83d\ude00"})
    void healthCheckBytesReadBackTheSame(String text) throws Exception {
        Bytes bytes = Bytes.utf8(text);
        assertThat(readBytes(PoolTree.bytes(bytes))).isEqualTo(bytes);
        assertThat(readBytes(PoolTree.bytes(new Bytes(new byte[] {(byte) 0xff, 0x41})))).isEqualTo(
                new Bytes(new byte[] {(byte) 0xff, 0x41}));
    }

    @ParameterizedTest
    @ValueSource(strings = {"50/s", "0.5/s", "600/m", "1/m", "7/m", "0.000000001/s", "999999999/s", "0.123456789/m"})
    void connectRatesReadBackTheSame(String rate) throws Exception {
        String yaml = "listeners: {web: {bind: 127.0.0.1:0, pool: web, per-client: {connect-rate: %s}}}\n"
                + "pools: {web: {backends: [127.0.0.1:9001]}}\n";
        Config config = ConfigLoader.parse(yaml.formatted(rate), Map.of());
        String written = ListenerTree.rate(config.listeners().get("web").edge().perClient().connectRatePerSecond());
        assertThat(ConfigLoader.parse(yaml.formatted(written), Map.of())).as(written).isEqualTo(config);
    }

    /** A key added to the schema but not to the writer would silently drop out of the API's config. */
    @Test
    void everyKeyOfTheSchemaIsWritten() throws Exception {
        Map<String, Object> tree = ConfigTree.of(ConfigLoader.parse(EVERY_KEY, ENV));
        List<String> missing = new ArrayList<>();
        missingKeys(ConfigSchema.ROOT, List.of(tree), "", missing);
        assertThat(missing).isEmpty();
    }

    /** Each key of {@code section} must be in at least one of {@code maps} (a pool has discovery, another not). */
    @SuppressWarnings("unchecked")
    private static void missingKeys(Section section, List<Map<String, Object>> maps, String path, List<String> missing) {
        for (Key<?> key : section.keys()) {
            String keyPath = path + key.name();
            List<Object> values = maps.stream().filter(m -> m.containsKey(key.name())).map(m -> m.get(key.name()))
                    .toList();
            if (values.isEmpty()) {
                missing.add(keyPath);
                continue;
            }
            List<Map<String, Object>> inner = new ArrayList<>();
            switch (key.kind()) {
                case SECTION -> values.forEach(v -> inner.add((Map<String, Object>) v));
                case NAMED -> values.forEach(v -> ((Map<String, Object>) v).values()
                        .forEach(e -> inner.add((Map<String, Object>) e)));
                case LIST -> values.forEach(v -> ((List<Object>) v).stream().filter(Map.class::isInstance)
                        .forEach(e -> inner.add((Map<String, Object>) e)));
                default -> {
                    continue;
                }
            }
            missingKeys(key.section(), inner, keyPath + ".", missing);
        }
    }

    private static Bytes readBytes(String written) throws Exception {
        String yaml = "listeners: {web: {bind: 127.0.0.1:0, pool: web}}\npools: {web: {backends: [127.0.0.1:9001], "
                + "health-check: {type: send-expect, send: %s, expect: x}}}\n";
        String quoted = new ObjectMapper().writeValueAsString(written); // a JSON string is a YAML double-quoted one
        return ConfigLoader.parse(yaml.formatted(quoted), Map.of()).pools().get("web").healthCheck().send();
    }

    private static String token(String yaml, Map<String, String> env) throws Exception {
        return (String) at(ConfigTree.of(ConfigLoader.parse(yaml, env)), "admin").get("token");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> at(Map<String, Object> tree, String... path) {
        Map<String, Object> at = tree;
        for (String key : path) {
            at = (Map<String, Object>) at.get(key);
        }
        return at;
    }

    private static String yaml(Map<String, Object> tree) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return new Yaml(options).dump(tree);
    }
}
