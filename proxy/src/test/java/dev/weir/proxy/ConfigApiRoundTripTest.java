package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.proxy.config.ConfigTree;
import dev.weir.proxy.tls.TestPki;
import dev.weir.sample.BackendSample;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/v1/config} of a running Weir, saved to a file, is a config {@code weir validate} takes (with the
 * token's variable set) and that loads into the config in effect; the token itself is never in it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConfigApiRoundTripTest {

    private static final String SECRET = "s3cret-Admin-Token";
    private static final String TOKEN_VARIABLE = "WEIR_TEST_ADMIN_TOKEN";
    private static final Map<String, String> ENV = Map.of(TOKEN_VARIABLE, SECRET);

    private static BackendSample backend;
    /** A DNS server that never answers: the discovery pool starts empty, and nothing leaves loopback. */
    private static DatagramSocket silentDns;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        backend = BackendSample.start("a", "127.0.0.1", 0, null);
        silentDns = new DatagramSocket(0, InetAddress.getLoopbackAddress());
    }

    @AfterAll
    static void stop() {
        backend.close();
        silentDns.close();
    }

    private record Validated(int code, String out, String err) {
    }

    /** {@code weir validate FILE} as the command line runs it, with {@code env} as its environment. */
    private static Validated validate(Path file, Map<String, String> env) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Validate.validate(file, env, false, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Validated(code, out.toString(), err.toString());
    }

    /** Many keys off their defaults: TLS, edge rules, health checks, warm pool, discovery, 20us spin, a token. */
    private TestConfig manyKeys() {
        TestPki.Issued ca = TestPki.ca("ca");
        TestPki.Files2 web = ca.issue("web.test", "web.test").write(dir, "web");
        Path caFile = ca.writeCert(dir.resolve("ca.pem"));
        String a = TestConfig.local(backend.port());
        return TestConfig.proxy()
                .set("event-loop-spin", "20us")
                .set("max-read", "128KiB")
                .listener("l", l -> l.set("bind", "127.0.0.1:0").set("pool", "p")
                        .set("idle-timeout", "10m")
                        .set("write-buffer", TestConfig.map("low", "8KiB", "high", "16KiB"))
                        .set("allow", List.of("127.0.0.0/8", "::1"))
                        .set("deny", List.of("10.0.0.0/8"))
                        .set("per-client", TestConfig.map("max-connections", 50, "connect-rate", "600/m"))
                        .set("max-connection-duration", "1h")
                        .set("tls", TestConfig.map(
                                "certificates", List.of(TestConfig.map("cert", web.cert().toString(),
                                        "key", web.key().toString())),
                                "alpn", List.of("http/1.1"),
                                "handshake-timeout", "3s",
                                "session-tickets", TestConfig.map("rotate", "1h"))))
                .listener("edge", l -> l.set("bind", "127.0.0.1:0").set("pool", "d")
                        .set("proxy-protocol", TestConfig.map("accept", true, "trusted", List.of("127.0.0.1/32"),
                                "timeout", "2s"))
                        .set("sni", TestConfig.map("routes", TestConfig.map("api.example.com", "d", "*.example.com",
                                "p"), "default", "p", "max-client-hello", "4KiB")))
                .pool("p", p -> p.backends(TestConfig.map("address", a, "weight", 3, "name", "a", "max-connections", 100))
                        .set("balance", "least-connections")
                        .set("connect-timeout", "750ms")
                        .healthCheck("tcp", "interval", "1s", "rise", 1, "jitter", "5%")
                        .set("passive", TestConfig.map("consecutive-failures", 5))
                        .set("warm-pool", TestConfig.map("min-idle", 1, "max-idle-time", "20s"))
                        .set("keep-alive", TestConfig.map("idle", "45s"))
                        .set("close-spread", "2s"))
                .pool("d", p -> p.set("discovery", TestConfig.map("dns", "svc.test", "port", backend.port(),
                        "refresh", "500ms", "resolvers", List.of("127.0.0.1:" + silentDns.getLocalPort()))))
                .pool("s", p -> p.backends(a)
                        .set("tls", TestConfig.map("ca", caFile.toString(), "server-name", "web.test")))
                .set("admin.bind", "127.0.0.1:0")
                .set("admin.token", "${" + TOKEN_VARIABLE + "}")
                .set("admin.allowed-hosts", List.of("weir-admin.test"))
                .set("access-log.format", "json")
                .env(TOKEN_VARIABLE, SECRET);
    }

    @Test
    void theSavedConfigValidatesAndLoadsAsTheConfigInEffect() throws Exception {
        try (RunningWeir proxy = manyKeys().start()) {
            Config inEffect = proxy.weir().config();
            HttpResponse<String> json = proxy.get("/api/v1/config");
            HttpResponse<String> yaml = proxy.get("/api/v1/config?format=yaml");
            HttpResponse<String> accepted = proxy.get("/api/v1/config", "Accept", "application/yaml");
            assertThat(json.statusCode()).isEqualTo(200);
            assertThat(json.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
            for (HttpResponse<String> r : List.of(yaml, accepted)) {
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("content-type")).hasValue("application/yaml; charset=utf-8");
            }
            assertThat(accepted.body()).isEqualTo(yaml.body());

            JsonNode tree = new ObjectMapper().readTree(json.body());
            assertThat(tree.get("event-loop-spin").asText()).isEqualTo("20us");
            assertThat(tree.get("admin").get("token").asText()).isEqualTo("${" + TOKEN_VARIABLE + "}");
            assertThat(tree.get("listeners").get("l").get("max-connections").asInt()).as("a default in effect")
                    .isEqualTo(10000);

            for (HttpResponse<String> r : List.of(json, yaml)) {
                Path saved = Files.writeString(dir.resolve("saved-" + r.headers().firstValue("content-type")
                        .orElseThrow().replaceAll("[^a-z]", "") + ".yaml"), r.body());
                Validated v = validate(saved, ENV);
                assertThat(v.code()).as(v.err() + "\n" + r.body()).isZero();
                assertThat(v.out().trim()).isEqualTo("OK");
                Config loaded = ConfigLoader.load(saved, ENV);
                assertThat(loaded).as(r.body()).isEqualTo(inEffect);
                // The trees compare what equals leaves out too: the variable the token came from.
                assertThat(ConfigTree.of(loaded)).isEqualTo(ConfigTree.of(inEffect));
            }
        }
    }

    @Test
    void theTokenIsNeverShownAndValidateWithoutItsVariableSaysWhichIsMissing() throws Exception {
        try (RunningWeir proxy = manyKeys().start()) {
            for (String path : List.of("/api/v1/config", "/api/v1/config?format=yaml")) {
                HttpResponse<String> r = proxy.get(path);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).doesNotContain(SECRET);
                Path saved = Files.writeString(dir.resolve("saved.yaml"), r.body());
                Validated v = validate(saved, Map.of());
                assertThat(v.code()).isEqualTo(2);
                assertThat(v.err().trim()).isEqualTo("admin.token: unset variable ${" + TOKEN_VARIABLE + "} (expected: environment variable "
                        + TOKEN_VARIABLE + " to be set, or a default as in ${" + TOKEN_VARIABLE + ":-value})");
            }
        }
    }

    @Test
    void afterAReloadItShowsTheNewConfigWithWhatARestartWouldChangeAsItRuns() throws Exception {
        TestConfig before = TestConfig.to(TestConfig.local(backend.port())).admin(null).set("max-read", "128KiB");
        Path file = dir.resolve("weir.yaml");
        try (RunningWeir proxy = RunningWeir.with(before).file(file).start()) {
            JsonNode was = new ObjectMapper().readTree(proxy.get("/api/v1/config").body());
            assertThat(was.get("pools").get("p").get("balance").asText()).isEqualTo("round-robin");

            before.copy().set("max-read", "64KiB").pool("p", p -> p.set("balance", "ip-hash")
                    .set("drain-timeout", "90s")).writeTo(file);
            HttpResponse<String> reload = proxy.post("/api/v1/reload", null);
            assertThat(reload.statusCode()).as(reload.body()).isEqualTo(200);

            HttpResponse<String> now = proxy.get("/api/v1/config");
            JsonNode tree = new ObjectMapper().readTree(now.body());
            assertThat(tree.get("pools").get("p").get("balance").asText()).isEqualTo("ip-hash");
            assertThat(tree.get("pools").get("p").get("drain-timeout").asText()).isEqualTo("1m30s");
            assertThat(tree.get("max-read").asText()).as("kept until restart").isEqualTo("128KiB");
            Path saved = Files.writeString(dir.resolve("saved.json"), now.body());
            assertThat(ConfigLoader.load(saved, Map.of())).isEqualTo(proxy.weir().config());
        }
    }

    @Test
    void anUnknownFormatOrParameterIsABadRequest() throws Exception {
        try (RunningWeir proxy = TestConfig.to(TestConfig.local(backend.port())).admin(null).start()) {
            HttpResponse<String> format = proxy.get("/api/v1/config?format=xml");
            assertThat(format.statusCode()).isEqualTo(400);
            assertThat(format.body()).contains("format: \\\"xml\\\" (expected: json or yaml)");
            HttpResponse<String> other = proxy.get("/api/v1/config?fromat=yaml");
            assertThat(other.statusCode()).isEqualTo(400);
            assertThat(other.body()).contains("fromat: unknown parameter (expected: format)");
        }
    }
}
