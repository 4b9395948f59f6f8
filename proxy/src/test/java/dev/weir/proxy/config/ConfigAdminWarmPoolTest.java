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
import org.junit.jupiter.params.provider.ValueSource;

/** The admin endpoint, the access log, and the pool's warm-pool and keep-alive sections. */
@Timeout(30)
class ConfigAdminWarmPoolTest {

    private static final String SECRET = "s3cret-Token";
    private static final AdminConfig DEFAULT_ADMIN = new AdminConfig(new HostPort("127.0.0.1", 8405), "");
    private static final AccessLogConfig DEFAULT_ACCESS_LOG =
            new AccessLogConfig(true, AccessLogConfig.Format.TEXT);
    private static final WarmPoolConfig DEFAULT_WARM_POOL = new WarmPoolConfig(4, Duration.ofSeconds(30));
    private static final KeepAliveConfig DEFAULT_KEEP_ALIVE =
            new KeepAliveConfig(Duration.ofSeconds(30), Duration.ofSeconds(10), 3);
    private static final String TOKEN_EXPECTED = "a token of printable ASCII without spaces, or \"\" for none";

    @Test
    void everyNewKeyParses() throws Exception {
        Config config = ConfigLoader.parse("""
                listeners:
                  web: {bind: 0.0.0.0:8080, pool: web}
                pools:
                  web:
                    backends: [127.0.0.1:9001]
                    warm-pool:
                      min-idle: 1000
                      max-idle-time: 1s
                    keep-alive:
                      idle: 24h
                      interval: 1h
                      count: 100
                  api:
                    backends: [127.0.0.1:9002]
                    warm-pool: {min-idle: 1, max-idle-time: 1500ms}
                    keep-alive: {idle: 1s, interval: 1s, count: 1}
                admin:
                  bind: 0.0.0.0:9191
                  token: s3cret-Token
                access-log:
                  enabled: false
                  format: json
                """, Map.of());

        PoolConfig web = config.pools().get("web");
        assertThat(web.warmPool()).isEqualTo(new WarmPoolConfig(1000, Duration.ofSeconds(1)));
        assertThat(web.keepAlive()).isEqualTo(new KeepAliveConfig(Duration.ofHours(24), Duration.ofHours(1), 100));
        PoolConfig api = config.pools().get("api");
        assertThat(api.warmPool()).isEqualTo(new WarmPoolConfig(1, Duration.ofMillis(1500)));
        assertThat(api.keepAlive()).isEqualTo(new KeepAliveConfig(Duration.ofSeconds(1), Duration.ofSeconds(1), 1));
        assertThat(config.admin()).isEqualTo(new AdminConfig(new HostPort("0.0.0.0", 9191), SECRET));
        assertThat(config.accessLog()).isEqualTo(new AccessLogConfig(false, AccessLogConfig.Format.JSON));
    }

    @Test
    void absentAndEmptySectionsHoldTheirDefaults() throws Exception {
        Config minimal = ConfigLoader.parse(MINIMAL, Map.of());
        assertThat(minimal.admin()).isEqualTo(DEFAULT_ADMIN);
        assertThat(minimal.accessLog()).isEqualTo(DEFAULT_ACCESS_LOG);
        assertThat(minimal.pools().get("web").warmPool()).isNull();
        assertThat(minimal.pools().get("web").keepAlive()).isNull();

        PoolConfig empty = pool("    warm-pool: {}\n    keep-alive: {}\n");
        assertThat(empty.warmPool()).isEqualTo(DEFAULT_WARM_POOL);
        assertThat(empty.keepAlive()).isEqualTo(DEFAULT_KEEP_ALIVE);
        // Every key commented out: the section is on, with the defaults, as health-check is.
        PoolConfig bare = pool("    warm-pool:\n    keep-alive:\n");
        assertThat(bare.warmPool()).isEqualTo(DEFAULT_WARM_POOL);
        assertThat(bare.keepAlive()).isEqualTo(DEFAULT_KEEP_ALIVE);
        assertThat(pool("    warm-pool: {min-idle: 8}\n    keep-alive: {count: 5}\n")).satisfies(p -> {
            assertThat(p.warmPool()).isEqualTo(new WarmPoolConfig(8, Duration.ofSeconds(30)));
            assertThat(p.keepAlive()).isEqualTo(new KeepAliveConfig(Duration.ofSeconds(30), Duration.ofSeconds(10), 5));
        });

        Config emptyTop = ConfigLoader.parse(MINIMAL + "admin: {}\naccess-log: {}\n", Map.of());
        assertThat(emptyTop.admin()).isEqualTo(DEFAULT_ADMIN);
        assertThat(emptyTop.accessLog()).isEqualTo(DEFAULT_ACCESS_LOG);
        Config bareTop = ConfigLoader.parse(MINIMAL + "admin:\naccess-log:\n", Map.of());
        assertThat(bareTop.admin()).isEqualTo(DEFAULT_ADMIN);
        assertThat(bareTop.accessLog()).isEqualTo(DEFAULT_ACCESS_LOG);
        assertThat(ConfigLoader.parse(MINIMAL + "admin: {token: abc}\naccess-log: {format: json}\n", Map.of()))
                .satisfies(c -> {
                    assertThat(c.admin()).isEqualTo(new AdminConfig(new HostPort("127.0.0.1", 8405), "abc"));
                    assertThat(c.accessLog()).isEqualTo(new AccessLogConfig(true, AccessLogConfig.Format.JSON));
                });
        assertThat(ConfigLoader.parse(MINIMAL + "admin: {header-timeout: 250ms, max-connections-per-client: 4}\n",
                Map.of()).admin()).isEqualTo(new AdminConfig(new HostPort("127.0.0.1", 8405), "", List.of(),
                Duration.ofMillis(250), 4));
    }

    @Test
    void tokenComesFromTheEnvironment() throws Exception {
        String yaml = MINIMAL + "admin:\n  bind: 0.0.0.0:8405\n  token: ${WEIR_ADMIN_TOKEN:-}\n";
        assertThat(ConfigLoader.parse(yaml, Map.of("WEIR_ADMIN_TOKEN", SECRET)).admin())
                .isEqualTo(new AdminConfig(new HostPort("0.0.0.0", 8405), SECRET));
        // Unset, the default "" applies, which a non-loopback bind refuses.
        assertErrors(yaml, "admin.token: missing "
                + "(expected: a token when admin.bind 0.0.0.0:8405 is not a loopback address)");
        assertThat(ConfigLoader.parse(yaml.replace("0.0.0.0", "127.0.0.1"), Map.of()).admin())
                .isEqualTo(DEFAULT_ADMIN);
    }

    @ParameterizedTest
    @ValueSource(strings = {"off", "'off'", "\"off\"", "'${ADMIN_BIND}'"})
    void offTurnsTheEndpointOff(String bind) throws Exception {
        // Off, the default address is free for a listener, and no token is needed whatever the listeners bind.
        Config config = ConfigLoader.parse(MINIMAL.replace("127.0.0.1:8080", "0.0.0.0:8405")
                + "admin: {bind: " + bind + "}\n", Map.of("ADMIN_BIND", "off"));
        assertThat(config.admin()).isEqualTo(new AdminConfig(null, ""));
        assertThat(config.admin().bind()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:8405", "127.1.2.3:8405", "'[::1]:8405'", "'[0:0:0:0:0:0:0:1]:8405'",
            "'[::ffff:127.0.0.1]:8405'", "localhost:8405", "LocalHost:8405", "127.0.0.1:0"})
    void loopbackNeedsNoToken(String bind) throws Exception {
        AdminConfig admin = ConfigLoader.parse(MINIMAL + "admin: {bind: " + bind + "}\n", Map.of()).admin();
        assertThat(admin.token()).isEmpty();
        assertThat(admin.bind()).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0:8405", "10.0.0.1:8405", "'[::]:8405'", "'[fd00::1]:8405'", "'[fe80::1%eth0]:8405'",
            "admin.internal:8405", "localhost.example:8405", "128.0.0.1:8405", "0.0.0.0:0"})
    void nonLoopbackNeedsAToken(String bind) throws Exception {
        String shown = HostPort.parse(bind.replace("'", "")).toString();
        String expected = "admin.token: missing (expected: a token when admin.bind " + shown
                + " is not a loopback address)";
        assertErrors(MINIMAL + "admin: {bind: " + bind + "}\n", expected);
        assertErrors(MINIMAL + "admin: {bind: " + bind + ", token: ''}\n", expected);
        assertThat(ConfigLoader.parse(MINIMAL + "admin: {bind: " + bind + ", token: t}\n", Map.of()).admin().token())
                .isEqualTo("t");
    }

    @Test
    void exactMessageForAWildcardBindWithoutAToken() {
        assertErrors(MINIMAL + "admin:\n  bind: 0.0.0.0:8405\n",
                "admin.token: missing (expected: a token when admin.bind 0.0.0.0:8405 is not a loopback address)");
    }

    @Test
    void adminMayNotShareAListenersAddress() throws Exception {
        assertErrors(MINIMAL + "admin: {bind: 127.0.0.1:8080}\n",
                "admin.bind: 127.0.0.1:8080 (expected: an address no listener binds; "
                        + "listeners.web.bind is 127.0.0.1:8080)");
        assertErrors(MINIMAL + "admin: {bind: 0.0.0.0:8080, token: t}\n",
                "admin.bind: 0.0.0.0:8080 (expected: an address no listener binds; "
                        + "listeners.web.bind is 127.0.0.1:8080)");
        assertErrors(MINIMAL.replace("127.0.0.1:8080", "LOCALHOST:8080") + "admin: {bind: localhost:8080}\n",
                "admin.bind: localhost:8080 (expected: an address no listener binds; "
                        + "listeners.web.bind is LOCALHOST:8080)");
        // Left out, the default address is named as such, since the operator never wrote it.
        assertErrors(MINIMAL.replace("127.0.0.1:8080", "0.0.0.0:8405"),
                "admin.bind: 127.0.0.1:8405 (expected: an address no listener binds; listeners.web.bind is "
                        + "0.0.0.0:8405; admin is on by default: write admin.bind: another address or off)");

        // Port 0 never clashes; neither do other ports or other hosts.
        assertThat(ConfigLoader.parse(MINIMAL.replace("127.0.0.1:8080", "127.0.0.1:0")
                + "admin: {bind: 127.0.0.1:0}\n", Map.of()).admin().bind()).isEqualTo(new HostPort("127.0.0.1", 0));
        assertThat(ConfigLoader.parse(MINIMAL + "admin: {bind: 127.0.0.2:8080}\n", Map.of()).admin().bind())
                .isEqualTo(new HostPort("127.0.0.2", 8080));
    }

    @Test
    void keepAliveTakesWholeSecondsInRange() {
        assertErrors(MINIMAL + "    keep-alive: {idle: 1500ms, interval: 500ms}\n",
                "pools.web.keep-alive.idle: 1500ms (expected: whole seconds)",
                "pools.web.keep-alive.interval: 500ms (expected: whole seconds)");
        assertErrors(MINIMAL + "    keep-alive: {idle: 0s, interval: 0s, count: 0}\n",
                "pools.web.keep-alive.idle: 0s (expected: 1s..24h)",
                "pools.web.keep-alive.interval: 0s (expected: 1s..1h)",
                "pools.web.keep-alive.count: 0 (expected: 1..100)");
        assertErrors(MINIMAL + "    keep-alive: {idle: 24h1s, interval: 61m, count: 101}\n",
                "pools.web.keep-alive.idle: 24h1s (expected: 1s..24h)",
                "pools.web.keep-alive.interval: 61m (expected: 1s..1h)",
                "pools.web.keep-alive.count: 101 (expected: 1..100)");
        assertErrors(MINIMAL + "    keep-alive: {idle: soon, count: many}\n",
                "pools.web.keep-alive.idle: \"soon\" (expected: a duration like 250ms, 5s, 2m, 1h)",
                "pools.web.keep-alive.count: \"many\" (expected: an integer)");
        assertErrors(MINIMAL + "    keep-alive: on\n",
                "pools.web.keep-alive: \"on\" (expected: a map of idle, interval, count)");
    }

    @Test
    void warmPoolRanges() {
        assertErrors(MINIMAL + "    warm-pool: {min-idle: 0, max-idle-time: 500ms}\n",
                "pools.web.warm-pool.min-idle: 0 (expected: 1..1000)",
                "pools.web.warm-pool.max-idle-time: 500ms (expected: >= 1s)");
        assertErrors(MINIMAL + "    warm-pool: {min-idle: 1001, max-idle-time: 0s}\n",
                "pools.web.warm-pool.min-idle: 1001 (expected: 1..1000)",
                "pools.web.warm-pool.max-idle-time: 0s (expected: >= 1s)");
        assertErrors(MINIMAL + "    warm-pool: {max-idle-time: 30}\n",
                "pools.web.warm-pool.max-idle-time: \"30\" (expected: a duration like 250ms, 5s, 2m, 1h)");
        assertErrors(MINIMAL + "    warm-pool: [4]\n",
                "pools.web.warm-pool: a list (expected: a map of min-idle, max-idle-time)");
    }

    @Test
    void adminAndAccessLogErrors() {
        assertErrors(MINIMAL + "admin: {bind: nowhere}\n",
                "admin.bind: \"nowhere\" (expected: host:port, [v6]:port or off: missing :port)");
        assertErrors(MINIMAL + "admin: {bind: OFF}\n",
                "admin.bind: \"OFF\" (expected: host:port, [v6]:port or off: missing :port)");
        assertErrors(MINIMAL + "admin: {bind: }\n", "admin.bind: missing (expected: host:port, [v6]:port or off)");
        assertErrors(MINIMAL + "admin: {bind: 'a b:1'}\n", "admin.bind: \"a b:1\" "
                + "(expected: host:port, [v6]:port or off: \"a b\" is not a host name or IP address)");
        assertErrors(MINIMAL + "admin: {token: }\n", "admin.token: missing (expected: " + TOKEN_EXPECTED + ")");
        assertErrors(MINIMAL + "admin: off\n", "admin: \"off\" (expected: a map of bind, token, allowed-hosts, "
                + "header-timeout, max-connections-per-client)");
        assertErrors(MINIMAL + "admin: {header-timeout: 0s, max-connections-per-client: 0}\n",
                "admin.header-timeout: 0s (expected: > 0)",
                "admin.max-connections-per-client: 0 (expected: 1..64)");
        assertErrors(MINIMAL + "admin: {header-timeout: soon, max-connections-per-client: 65}\n",
                "admin.header-timeout: \"soon\" (expected: a duration like 250ms, 5s, 2m, 1h)",
                "admin.max-connections-per-client: 65 (expected: 1..64)");
        assertErrors(MINIMAL + "access-log: {enabled: yes, format: xml}\n",
                "access-log.enabled: \"yes\" (expected: true or false)",
                "access-log.format: \"xml\" (expected: one of text, json)");
        assertErrors(MINIMAL + "access-log: {format: JSON}\n",
                "access-log.format: \"JSON\" (expected: one of text, json)");
    }

    @Test
    void unknownKeysSuggestTheClosest() {
        assertErrors(MINIMAL + "admn: {}\nacces-log: {}\n",
                "admn: unknown key (did you mean admin?)",
                "acces-log: unknown key (did you mean access-log?)");
        assertErrors(MINIMAL + "admin: {bnd: 127.0.0.1:1, tokn: x}\naccess-log: {formt: json, enable: true}\n",
                "admin.bnd: unknown key (did you mean bind?)",
                "admin.tokn: unknown key (did you mean token?)",
                "access-log.formt: unknown key (did you mean format?)",
                "access-log.enable: unknown key (did you mean enabled?)");
        assertErrors(MINIMAL + "    warm-pol: {}\n    keepalive: {}\n",
                "pools.web.warm-pol: unknown key (did you mean warm-pool?)",
                "pools.web.keepalive: unknown key (did you mean keep-alive?)");
        assertErrors(MINIMAL + "    warm-pool: {min-idl: 1, max-idle-tme: 1s}\n    keep-alive: {intervl: 1s, cnt: 1}\n",
                "pools.web.warm-pool.min-idl: unknown key (did you mean min-idle?)",
                "pools.web.warm-pool.max-idle-tme: unknown key (did you mean max-idle-time?)",
                "pools.web.keep-alive.intervl: unknown key (did you mean interval?)",
                "pools.web.keep-alive.cnt: unknown key (expected: one of idle, interval, count)");
        assertErrors(MINIMAL + "admin: {colour: blue}\n",
                "admin.colour: unknown key (expected: one of bind, token, allowed-hosts, header-timeout, "
                        + "max-connections-per-client)");
    }

    @Test
    void theTokenNeverAppearsInAnError() {
        // Unusable tokens: a space, a control character, a malformed or unset reference around the secret.
        for (String token : new String[] {"'s3cret Token'", "\"s3cret\\tToken\"", "'s3cret-Token${X'",
                "'s3cret-Token${UNSET}'"}) {
            ConfigException e = parseFails(MINIMAL + "admin: {bind: 0.0.0.0:8405, token: " + token + "}\n");
            assertThat(e.errors()).hasSize(1);
            assertThat(e.errors().get(0)).startsWith(token.contains("UNSET") ? "admin.token: unset variable ${UNSET} ("
                    : "admin.token: **** (expected: ");
            assertThat(e.getMessage()).doesNotContain("s3cret");
        }
        assertErrors(MINIMAL + "admin: {token: 's3cret Token'}\n",
                "admin.token: **** (expected: " + TOKEN_EXPECTED + ")");

        // A good token next to other errors stays out of every one of them.
        ConfigException e = parseFails(MINIMAL.replace("127.0.0.1:8080", "0.0.0.0:9191")
                + "    keep-alive: {idle: 1500ms}\n"
                + "admin: {bind: 0.0.0.0:9191, token: s3cret-Token}\n"
                + "access-log: {format: s3cret-Token}\n");
        assertThat(e.errors()).containsExactly(
                "pools.web.keep-alive.idle: 1500ms (expected: whole seconds)",
                "access-log.format: \"s3cret-Token\" (expected: one of text, json)",
                "admin.bind: 0.0.0.0:9191 (expected: an address no listener binds; "
                        + "listeners.web.bind is 0.0.0.0:9191)");
        assertThat(e.errors()).filteredOn(line -> !line.startsWith("access-log"))
                .noneMatch(line -> line.contains("s3cret"));
    }

    @Test
    void aTokenFromAnUnsetVariableSaysSoNotAsIfItHadAValue() {
        // **** read as a token that is set but wrong, when there is none.
        assertErrors(MINIMAL + "admin: {token: '${WEIR_ADMIN_TOKEN}'}\n",
                "admin.token: unset variable ${WEIR_ADMIN_TOKEN} (expected: environment variable WEIR_ADMIN_TOKEN to be"
                        + " set, or a default as in ${WEIR_ADMIN_TOKEN:-value})");
    }

    @Test
    void theTokenIsMaskedInToString() throws Exception {
        Config config = ConfigLoader.parse(MINIMAL + "admin: {bind: 0.0.0.0:8405, token: s3cret-Token}\n", Map.of());
        assertThat(config.admin().token()).isEqualTo(SECRET);
        assertThat(config.admin().toString()).isEqualTo("AdminConfig[bind=0.0.0.0:8405, token=****, allowedHosts=[], "
                + "headerTimeout=PT5S, maxConnectionsPerClient=16]");
        assertThat(config.toString()).contains("token=****").doesNotContain("s3cret");
        assertThat(DEFAULT_ADMIN.toString()).isEqualTo("AdminConfig[bind=127.0.0.1:8405, token=, allowedHosts=[], "
                + "headerTimeout=PT5S, maxConnectionsPerClient=16]");
    }

    @Test
    void referenceAndDemoLoad() throws Exception {
        Path referencePath = Path.of("../config/weir.yaml");
        Config reference = ConfigLoader.parse(Files.readString(referencePath), Map.of(), referencePath.toString());
        assertThat(reference.admin()).isEqualTo(DEFAULT_ADMIN);
        assertThat(reference.accessLog()).isEqualTo(DEFAULT_ACCESS_LOG);
        assertThat(reference.pools().get("web").warmPool()).isNull();
        assertThat(reference.pools().get("web").keepAlive()).isNull();
        assertThat(ConfigLoader.parse(Files.readString(referencePath), Map.of("WEIR_ADMIN_TOKEN", SECRET)).admin())
                .isEqualTo(new AdminConfig(new HostPort("127.0.0.1", 8405), SECRET));

        // Uncommented, the reference's warm-pool and keep-alive sections hold the defaults.
        String uncommented = Files.readString(referencePath).replaceAll("(?m)^( *)# (?= *[a-z][a-z-]*:( |$))", "$1");
        PoolConfig web = ConfigLoader.parse(uncommented, Map.of()).pools().get("web");
        assertThat(web.warmPool()).isEqualTo(DEFAULT_WARM_POOL);
        assertThat(web.keepAlive()).isEqualTo(DEFAULT_KEEP_ALIVE);

        Path demoPath = Path.of("../config/demo.yaml");
        String demo = Files.readString(demoPath);
        assertThat(ConfigLoader.parse(demo, Map.of(), demoPath.toString()).admin()).isEqualTo(DEFAULT_ADMIN);
        assertThat(ConfigLoader.parse(demo, Map.of("WEIR_DEMO_ADMIN_BIND", "127.0.0.1:0")).admin())
                .isEqualTo(new AdminConfig(new HostPort("127.0.0.1", 0), ""));
        assertThat(ConfigLoader.parse(demo, Map.of("WEIR_DEMO_ADMIN_BIND", "off")).admin().bind()).isNull();
        assertThat(ConfigLoader.load(demoPath).admin()).isNotNull();
    }

    private static PoolConfig pool(String poolKeys) throws ConfigException {
        return ConfigLoader.parse(MINIMAL + poolKeys, Map.of()).pools().get("web");
    }
}
