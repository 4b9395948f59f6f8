package dev.weir.proxy.config;

import static dev.weir.proxy.config.ConfigAssertions.MINIMAL;
import static dev.weir.proxy.config.ConfigAssertions.assertErrors;
import static dev.weir.proxy.config.ConfigAssertions.parseFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(30)
class ConfigLoaderTest {

    private static final String POOL_KEYS = "balance, connect-timeout, connect-attempts, backends, discovery, "
            + "health-check, passive, drain-timeout, close-spread, close-on-down, warm-pool, keep-alive, "
            + "proxy-protocol, tls";

    @Test
    void fullConfigParsesWithValuesAndDefaults() throws Exception {
        Config config = ConfigLoader.parse("""
                transport: epoll
                event-loop-threads: 4
                event-loop-spin: 20us
                max-read: 1MiB
                listeners:
                  web:
                    bind: 0.0.0.0:8080
                    pool: web
                    idle-timeout: 90s
                    write-buffer: {low: 16KiB, high: 1MiB}
                  admin-side:
                    bind: "[::1]:0"
                    pool: api
                    max-connections: 50
                pools:
                  web:
                    balance: ip-hash
                    connect-timeout: 250ms
                    connect-attempts: 1
                    backends:
                      - 10.0.0.1:9001
                      - {address: 10.0.0.2:9002, weight: 2, name: b-2}
                  api:
                    backends: ["[fd00::1]:7000"]
                shutdown:
                  drain-timeout: 0s
                """, Map.of());

        assertThat(config.transport()).isEqualTo(TransportKind.EPOLL);
        assertThat(config.eventLoopThreads()).isEqualTo(4);
        assertThat(config.eventLoopSpin()).isEqualTo(Duration.ofNanos(20_000));
        assertThat(config.maxRead()).isEqualTo(1024 * 1024);
        assertThat(config.listeners()).containsOnlyKeys("web", "admin-side");
        assertThat(config.listeners().keySet()).containsExactly("web", "admin-side");
        assertThat(config.listeners().get("web")).isEqualTo(new ListenerConfig("web", new HostPort("0.0.0.0", 8080),
                "web", 10_000, Duration.ofSeconds(90), 16 * 1024, 1024 * 1024));
        assertThat(config.listeners().get("admin-side")).isEqualTo(new ListenerConfig("admin-side",
                new HostPort("::1", 0), "api", 50, Duration.ofHours(1), 32 * 1024, 64 * 1024));
        assertThat(config.pools().keySet()).containsExactly("web", "api");
        assertThat(config.pools().get("web")).isEqualTo(staticPool("web", BalanceKind.IP_HASH,
                Duration.ofMillis(250), 1, List.of(
                        new BackendConfig(new HostPort("10.0.0.1", 9001), 1, null),
                        new BackendConfig(new HostPort("10.0.0.2", 9002), 2, "b-2"))));
        assertThat(config.pools().get("api")).isEqualTo(staticPool("api", BalanceKind.ROUND_ROBIN,
                Duration.ofSeconds(5), 3, List.of(new BackendConfig(new HostPort("fd00::1", 7000), 1, null))));
        assertThat(config.shutdown().drainTimeout()).isZero();
    }

    @Test
    void minimalConfigGetsEveryDefault() throws Exception {
        Config config = ConfigLoader.parse(MINIMAL, Map.of());

        assertThat(config.transport()).isEqualTo(TransportKind.AUTO);
        assertThat(config.eventLoopThreads()).isZero();
        assertThat(config.maxRead()).isEqualTo(256 * 1024);
        ListenerConfig web = config.listeners().get("web");
        assertThat(web.maxConnections()).isEqualTo(10_000);
        assertThat(web.idleTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(web.writeBufferLow()).isEqualTo(32 * 1024);
        assertThat(web.writeBufferHigh()).isEqualTo(64 * 1024);
        PoolConfig pool = config.pools().get("web");
        assertThat(pool.balance()).isEqualTo(BalanceKind.ROUND_ROBIN);
        assertThat(pool.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(pool.connectAttempts()).isEqualTo(3);
        assertThat(pool.backends()).containsExactly(new BackendConfig(new HostPort("127.0.0.1", 9001), 1, null));
        assertThat(pool.healthCheck()).isNull();
        assertThat(pool.passive()).isNull();
        assertThat(pool.discovery()).isNull();
        assertThat(pool.drainTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(pool.closeSpread()).isEqualTo(Duration.ofSeconds(10));
        assertThat(pool.closeOnDown()).isFalse();
        assertThat(config.shutdown().drainTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.reload().watch()).isFalse();
    }

    @Test
    void weightOutOfRange() {
        assertErrors(MINIMAL.replace("[127.0.0.1:9001]", "[127.0.0.1:9001, {address: 127.0.0.1:9002, weight: 0}]"),
                "pools.web.backends[1].weight: 0 (expected: 1..1000)");
    }

    @Test
    void listenerNamesAMissingPool() {
        assertErrors(MINIMAL.replace("pool: web", "pool: api"), "listeners.web.pool: \"api\" is not a pool (pools: web)");
    }

    @Test
    void unknownKeySuggestsTheClosestKnownKey() {
        assertErrors(MINIMAL + "    conect-timeout: 2s\n",
                "pools.web.conect-timeout: unknown key (did you mean connect-timeout?)");
        assertErrors(MINIMAL + "    colour: blue\n",
                "pools.web.colour: unknown key (expected: one of " + POOL_KEYS + ")");
        assertErrors(MINIMAL + "listener: {}\n", "listener: unknown key (did you mean listeners?)");
    }

    @Test
    void wrongTypesAndValues() {
        assertErrors(MINIMAL.replace("pool: web}", "pool: web, max-connections: lots}"),
                "listeners.web.max-connections: \"lots\" (expected: an integer)");
        assertErrors(MINIMAL + "    connect-timeout: 5 seconds\n",
                "pools.web.connect-timeout: \"5 seconds\" (expected: a duration like 250ms, 5s, 2m, 1h)");
        assertErrors(MINIMAL + "    balance: fastest\n",
                "pools.web.balance: \"fastest\" (expected: one of round-robin, ip-hash, least-connections, random-two)");
        assertErrors(MINIMAL.replace("127.0.0.1:8080", "localhost"),
                "listeners.web.bind: \"localhost\" (expected: host:port or [v6]:port: missing :port)");
        assertErrors(MINIMAL.replace(", pool: web", ""), "listeners.web.pool: missing (expected: a pool name)");
        assertErrors("transport: iouring\n" + MINIMAL,
                "transport: \"iouring\" (expected: one of auto, io_uring, epoll, nio)");
        // A section of the wrong type is reported once, not once more for each key it lacks.
        assertErrors(MINIMAL.replace("pools:\n  web:", "pools:\n  web: [a]\n  x:"),
                "pools.web: a list (expected: a map of " + POOL_KEYS + ")");
        assertErrors(MINIMAL.replace("pools:\n  web:", "pools:\n  x: {}\n  web:"),
                "pools.x.backends: missing (expected: a list of backends, or discovery)");
        assertErrors(MINIMAL.replace("[127.0.0.1:9001]", "5"),
                "pools.web.backends: \"5\" (expected: a list of backends, at least one)");
    }

    @Test
    void rangeRules() {
        assertErrors("event-loop-threads: -1\n" + MINIMAL, "event-loop-threads: -1 (expected: >= 0)");
        assertErrors(MINIMAL.replace("pool: web}", "pool: web, max-connections: 0, idle-timeout: 0s}")
                        + "    connect-timeout: 0ms\n    connect-attempts: 0\n",
                "listeners.web.max-connections: 0 (expected: >= 1)",
                "listeners.web.idle-timeout: 0s (expected: > 0)",
                "pools.web.connect-timeout: 0ms (expected: > 0)",
                "pools.web.connect-attempts: 0 (expected: >= 1)");
        assertErrors(MINIMAL.replace("pool: web}", "pool: web, write-buffer: {high: 16KiB}}"),
                "listeners.web.write-buffer: low 32KiB, high 16KiB (expected: low < high)");
        assertErrors(MINIMAL.replace("[127.0.0.1:9001]", "[127.0.0.1:0]"),
                "pools.web.backends[0]: 127.0.0.1:0 (expected: a port in 1..65535)");
    }

    @Test
    void structuralRules() {
        assertErrors("transport: auto\n", "listeners: missing (expected: a map of listener name to listener, at least one)",
                "pools: missing (expected: a map of pool name to pool, at least one)");
        assertErrors("listeners: {}\npools:\n", "listeners: empty (expected: at least one listener)",
                "pools: empty (expected: at least one pool)");
        assertErrors("- listeners\n", "(top level): a list (expected: a map of transport, tls-provider, event-loop-threads, event-loop-spin, max-read, "
                + "listeners, pools, shutdown, reload, admin, access-log)");
        assertErrors(MINIMAL.replace("[127.0.0.1:9001]", "[]"),
                "pools.web.backends: empty (expected: at least one backend)");
        assertErrors(MINIMAL.replace("listeners:\n", "listeners:\n  \"bad name\": {bind: 127.0.0.1:1, pool: web}\n"),
                "listeners: \"bad name\" (expected: a name made of A-Z a-z 0-9 . _ -)");
        assertErrors(MINIMAL.replace("listeners:\n", "listeners:\n  other: {bind: 127.0.0.1:8080, pool: web}\n"),
                "listeners.web.bind: 127.0.0.1:8080 (expected: an address no other listener binds; "
                        + "listeners.other.bind is 127.0.0.1:8080)");
        assertErrors(MINIMAL.replace("listeners:\n", "listeners:\n  any: {bind: 0.0.0.0:8080, pool: web}\n"),
                "listeners.web.bind: 127.0.0.1:8080 (expected: an address no other listener binds; "
                        + "listeners.any.bind is 0.0.0.0:8080)");
        assertErrors(MINIMAL.replace("[127.0.0.1:9001]", "[127.0.0.1:9001, {address: 127.0.0.1:9001, name: again}]"),
                "pools.web.backends[1].address: 127.0.0.1:9001 (expected: each address once per pool; "
                        + "pools.web.backends[0] has it)");
        assertErrors(MINIMAL.replace("[127.0.0.1:9001]", "[{address: 127.0.0.1:9001, name: x}, "
                        + "{address: 127.0.0.1:9002, name: x}, {address: 127.0.0.1:9003, name: 'a b'}]"),
                "pools.web.backends[1].name: \"x\" (expected: each name once per pool; pools.web.backends[0].name has it)",
                "pools.web.backends[2].name: \"a b\" (expected: a name made of A-Z a-z 0-9 . _ -)");
        assertErrors(MINIMAL + "    balance: round-robin\n    balance: ip-hash\n",
                "pools.web.balance: duplicate key (expected: each key once)");
    }

    @Test
    void aMissingPoolAmongManyListsTheFirstTenPoolsAndTheirNumber() {
        StringBuilder yaml = new StringBuilder("listeners:\n");
        for (int i = 0; i < 3; i++) {
            yaml.append("  l").append(i).append(": {bind: 127.0.0.1:").append(8080 + i).append(", pool: nope}\n");
        }
        yaml.append("pools:\n");
        for (int i = 0; i < 12; i++) {
            yaml.append("  p").append(i).append(":\n    backends: [127.0.0.1:9001]\n");
        }
        String known = "(pools: p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, ... (12 in all))";
        assertErrors(yaml.toString(), "listeners.l0.pool: \"nope\" is not a pool " + known,
                "listeners.l1.pool: \"nope\" is not a pool " + known, "listeners.l2.pool: \"nope\" is not a pool " + known);
    }

    @Test
    void aBindClashNamesTheFirstListenerItClashesWithAmongMany() {
        // Checked through maps by port, not pair by pair: the earliest clash is still the one named, a wildcard
        // clashes with any host, hosts compare ignoring case, and a listener that clashed is not clashed with.
        StringBuilder yaml = new StringBuilder("listeners:\n");
        for (int i = 0; i < 2000; i++) {
            yaml.append("  l").append(i).append(": {bind: 10.0.").append(i / 250).append('.').append(i % 250)
                    .append(":80, pool: web}\n");
        }
        yaml.append("""
                  any: {bind: 0.0.0.0:80, pool: web}
                  again: {bind: 10.0.7.249:80, pool: web}
                  upper: {bind: LOCALHOST:81, pool: web}
                  lower: {bind: localhost:81, pool: web}
                  wild6: {bind: "[::]:82", pool: web}
                  after: {bind: 10.0.0.1:82, pool: web}
                  wild4: {bind: 0.0.0.0:82, pool: web}
                  other: {bind: 10.0.0.1:83, pool: web}
                pools:
                  web:
                    backends: [127.0.0.1:9001]
                """);
        assertErrors(yaml.toString(),
                "listeners.any.bind: 0.0.0.0:80 (expected: an address no other listener binds; "
                        + "listeners.l0.bind is 10.0.0.0:80)",
                "listeners.again.bind: 10.0.7.249:80 (expected: an address no other listener binds; "
                        + "listeners.l1999.bind is 10.0.7.249:80)",
                "listeners.lower.bind: localhost:81 (expected: an address no other listener binds; "
                        + "listeners.upper.bind is LOCALHOST:81)",
                "listeners.after.bind: 10.0.0.1:82 (expected: an address no other listener binds; "
                        + "listeners.wild6.bind is [::]:82)",
                "listeners.wild4.bind: 0.0.0.0:82 (expected: an address no other listener binds; "
                        + "listeners.wild6.bind is [::]:82)");
    }

    @Test
    void listenersOnPortZeroNeverClash() throws Exception {
        Config config = ConfigLoader.parse(MINIMAL.replace("listeners:\n", "listeners:\n  a: {bind: 127.0.0.1:0, pool: web}\n"
                + "  b: {bind: 127.0.0.1:0, pool: web}\n"), Map.of());
        assertThat(config.listeners()).containsOnlyKeys("a", "b", "web");
    }

    @Test
    void reportsEveryErrorTogether() {
        ConfigException e = parseFails("""
                event-loop-threads: many
                listeners:
                  web: {bind: localhost, pool: api, max-connections: lots}
                pools:
                  web:
                    balance: fastest
                    conect-timeout: 2s
                    backends:
                      - 127.0.0.1:9001
                      - {address: 127.0.0.1:9002, weight: 0}
                """);

        assertThat(e.errors()).containsExactly(
                "event-loop-threads: \"many\" (expected: an integer)",
                "listeners.web.bind: \"localhost\" (expected: host:port or [v6]:port: missing :port)",
                "listeners.web.max-connections: \"lots\" (expected: an integer)",
                "pools.web.conect-timeout: unknown key (did you mean connect-timeout?)",
                "pools.web.balance: \"fastest\" (expected: one of round-robin, ip-hash, least-connections, random-two)",
                "pools.web.backends[1].weight: 0 (expected: 1..1000)",
                "listeners.web.pool: \"api\" is not a pool (pools: web)");
        assertThat(e.getMessage()).isEqualTo(String.join("\n", e.errors()));
    }

    @Test
    void malformedYamlNamesLineAndColumn() {
        assertThatThrownBy(() -> ConfigLoader.parse("listeners:\n  web:\n    bind: a: b\n", Map.of(), "weir.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("weir.yaml: malformed YAML at line 3, column 12: mapping values are not allowed here");
        assertThatThrownBy(() -> ConfigLoader.parse("pools:\n  web: [a\n", Map.of()))
                .hasMessageStartingWith("config: malformed YAML at line 3, column 1: ");
        assertThatThrownBy(() -> ConfigLoader.parse("listeners:\n  web:\n    sni:\n      routes: {*.example.com: web}\n",
                Map.of(), "weir.yaml"))
                .hasMessage("weir.yaml: malformed YAML at line 4, column 17: unexpected character found .(46)"
                        + " (a value or key that starts with * must be quoted, like \"*.example.com\")");
    }

    @Test
    void substitutesEnvironmentVariables() throws Exception {
        // Inside {..} or [..] a reference must be quoted: YAML reads its braces as flow syntax.
        String yaml = MINIMAL.replace("127.0.0.1:8080", "'${BIND}'").replace("[127.0.0.1:9001]",
                "['${HOST:-127.0.0.1}:${PORT:-9001}', '${OTHER:-10.0.0.1:80}']") + "    connect-attempts: ${TRIES}\n";
        Config config = ConfigLoader.parse(yaml, Map.of("BIND", "0.0.0.0:7000", "PORT", "9100", "OTHER", "", "TRIES", "5"));

        assertThat(config.listeners().get("web").bind()).isEqualTo(new HostPort("0.0.0.0", 7000));
        assertThat(config.pools().get("web").backends()).extracting(BackendConfig::address)
                .containsExactly(new HostPort("127.0.0.1", 9100), new HostPort("10.0.0.1", 80));
        assertThat(config.pools().get("web").connectAttempts()).isEqualTo(5);
    }

    @Test
    void unsetVariableWithoutDefaultIsAnError() {
        ConfigException e = parseFails(MINIMAL.replace("127.0.0.1:8080", "'${WEIR_BIND}'").replace("[127.0.0.1:9001]", "['127.0.0.1:${X']"));
        assertThat(e.errors()).containsExactly(
                "listeners.web.bind: \"${WEIR_BIND}\" (expected: environment variable WEIR_BIND to be set, "
                        + "or a default as in ${WEIR_BIND:-value})",
                "pools.web.backends[0]: \"127.0.0.1:${X\" "
                        + "(expected: ${VAR} or ${VAR:-default}, VAR made of A-Z a-z 0-9 _)");
    }

    @Test
    void shippedConfigsLoad() throws Exception {
        Config reference = ConfigLoader.load(Path.of("../config/weir.yaml"));
        assertThat(reference.listeners()).containsOnlyKeys("web");
        assertThat(reference.listeners().get("web").bind()).isEqualTo(new HostPort("127.0.0.1", 8080));
        assertThat(reference.pools().get("web").backends()).containsExactly(
                new BackendConfig(new HostPort("127.0.0.1", 9001), 1, null),
                new BackendConfig(new HostPort("127.0.0.1", 9002), 2, null),
                new BackendConfig(new HostPort("127.0.0.1", 9003), 1, null));
        // The reference states the defaults, so it must equal the same config with every default left out.
        assertThat(reference).isEqualTo(ConfigLoader.parse("""
                listeners: {web: {bind: 127.0.0.1:8080, pool: web}}
                pools: {web: {backends: [127.0.0.1:9001, {address: 127.0.0.1:9002, weight: 2}, 127.0.0.1:9003]}}
                """, Map.of()));

        Config demo = ConfigLoader.load(Path.of("../config/demo.yaml"));
        assertThat(demo.listeners().keySet()).containsExactly("demo", "demo-sticky");
        assertThat(demo.listeners().get("demo-sticky").bind()).isEqualTo(new HostPort("127.0.0.1", 8081));
        assertThat(demo.pools().get("demo").balance()).isEqualTo(BalanceKind.ROUND_ROBIN);
        assertThat(demo.pools().get("demo-sticky").balance()).isEqualTo(BalanceKind.IP_HASH);
        assertThat(demo.pools().get("demo").connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(demo.pools().get("demo-sticky").backends()).extracting(BackendConfig::address).containsExactly(
                new HostPort("127.0.0.1", 9001), new HostPort("127.0.0.1", 9002), new HostPort("127.0.0.1", 9003));
    }

    @Test
    void safeLoadingRefusesJavaTypes() {
        String exploit = "listeners: !!javax.script.ScriptEngineManager "
                + "[!!java.net.URLClassLoader [[!!java.net.URL [\"http://127.0.0.1:1/x.jar\"]]]]\n";
        assertThatThrownBy(() -> ConfigLoader.parse(exploit, Map.of(), "weir.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("weir.yaml: tag !!javax.script.ScriptEngineManager at line 1, column 12 is not allowed "
                        + "(expected: plain YAML values; a config never names Java types)");
        assertErrors(MINIMAL.replace("pool: web}", "pool: !secret web}"),
                "listeners.web.pool: tag !secret (expected: plain YAML values without tags)");
    }

    @Test
    void durations() {
        assertThat(Units.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Units.parseDuration("5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Units.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Units.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Units.parseDuration("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Units.parseDuration("0s")).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "5 s", "-5s", "5sec", "1d", "1.5s", "s", "5S", "99999999999999999h"})
    void durationGarbageIsRejected(String text) {
        assertThatThrownBy(() -> Units.parseDuration(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sizes() {
        assertThat(Units.parseSize("65536")).isEqualTo(65536);
        assertThat(Units.parseSize("32KiB")).isEqualTo(32 * 1024);
        assertThat(Units.parseSize("1MiB")).isEqualTo(1024 * 1024);
        assertThat(Units.formatSize(64 * 1024)).isEqualTo("64KiB");
        assertThat(Units.formatSize(1000)).isEqualTo("1000");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "32KB", "32kib", "32 KiB", "-1", "1.5MiB", "KiB", "999999999999999999GiB"})
    void sizeGarbageIsRejected(String text) {
        assertThatThrownBy(() -> Units.parseSize(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sizeErrorsInConfig() {
        assertErrors(MINIMAL.replace("pool: web}", "pool: web, write-buffer: {low: 32KB, high: 4GiB}}"),
                "listeners.web.write-buffer.low: \"32KB\" (expected: a size like 65536, 32KiB, 1MiB)",
                "listeners.web.write-buffer.high: 4GiB (expected: < 2GiB)");
        assertErrors("max-read: 1KiB\n" + MINIMAL, "max-read: 1KiB (expected: 4KiB..16MiB)");
        assertErrors("max-read: 64MiB\n" + MINIMAL, "max-read: 64MiB (expected: 4KiB..16MiB)");
        assertErrors("max-read: lots\n" + MINIMAL, "max-read: \"lots\" (expected: a size like 65536, 32KiB, 1MiB)");
    }

    @Test
    void eventLoopSpinTakesMicrosecondsUpToAMillisecond() throws Exception {
        assertThat(ConfigLoader.parse(MINIMAL, Map.of()).eventLoopSpin()).as("off by default").isZero();
        assertThat(ConfigLoader.parse("event-loop-spin: 20us\n" + MINIMAL, Map.of()).eventLoopSpin())
                .isEqualTo(Duration.ofNanos(20_000));
        assertThat(ConfigLoader.parse("event-loop-spin: 1ms\n" + MINIMAL, Map.of()).eventLoopSpin())
                .isEqualTo(Duration.ofMillis(1));
        assertThat(ConfigLoader.parse("event-loop-spin: 0s\n" + MINIMAL, Map.of()).eventLoopSpin()).isZero();
        assertErrors("event-loop-spin: 2ms\n" + MINIMAL, "event-loop-spin: 2ms (expected: 0s..1ms)");
        assertErrors("event-loop-spin: 1001us\n" + MINIMAL, "event-loop-spin: 1001us (expected: 0s..1ms)");
        assertErrors("event-loop-spin: fast\n" + MINIMAL,
                "event-loop-spin: \"fast\" (expected: a duration like 20us, 1ms or 0s)");
        assertErrors("event-loop-spin: 20\n" + MINIMAL,
                "event-loop-spin: \"20\" (expected: a duration like 20us, 1ms or 0s)");
        // Written back (log lines, reload messages) in a form the config takes.
        assertThat(Units.formatMicroseconds(Duration.ofNanos(20_000))).isEqualTo("20us");
        assertThat(Units.formatMicroseconds(Duration.ofMillis(1))).isEqualTo("1ms");
        assertThat(Units.formatMicroseconds(Duration.ZERO)).isEqualTo("0s");
    }

    @Test
    void otherDurationsDoNotTakeMicroseconds() {
        // 500us would reach Netty as a 0 ms connect timeout, which means none.
        assertErrors(MINIMAL.replace("    backends:", "    connect-timeout: 500us\n    backends:"),
                "pools.web.connect-timeout: \"500us\" (expected: a duration like 250ms, 5s, 2m, 1h)");
    }

    private static PoolConfig staticPool(String name, BalanceKind balance, Duration connectTimeout,
            int connectAttempts, List<BackendConfig> backends) {
        return new PoolConfig(name, balance, connectTimeout, connectAttempts, backends, null, null,
                Duration.ofMinutes(5), Duration.ofSeconds(10), false, null, null, null);
    }
}
