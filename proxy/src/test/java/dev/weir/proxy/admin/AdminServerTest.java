package dev.weir.proxy.admin;

import static dev.weir.proxy.admin.AdminCalls.json;
import static dev.weir.proxy.admin.AdminCalls.loopback;
import static dev.weir.proxy.admin.AdminCalls.seg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.api.BackendStatus;
import dev.weir.proxy.backend.AdminState;
import dev.weir.proxy.backend.BackendState;
import dev.weir.sample.BackendSample;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The admin endpoint over real HTTP against a real Weir: every route, status code and error. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AdminServerTest {

    private static final String TOKEN = "s3cret-token";

    private static BackendSample a;
    private static BackendSample b;

    @TempDir
    Path dir;

    @BeforeAll
    static void backends() throws Exception {
        a = BackendSample.start("a", "127.0.0.1", 0, null);
        b = BackendSample.start("b", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
    }

    private static String id(BackendSample s) {
        return "127.0.0.1:" + s.port();
    }

    private static RunningWeir start() throws Exception {
        return TestConfig.to(id(a), id(b)).admin(null).start();
    }

    private static String whoami(RunningWeir h) throws IOException {
        try (Socket s = connect(h.address())) {
            s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
            return readLine(s.getInputStream());
        }
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(10_000);
        s.connect(address, 5_000);
        return s;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            line.write(c);
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private static void assertError(HttpResponse<String> r, int status, String code, String detailContains) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
        JsonNode e = json(r);
        assertThat(e.get("error").asText()).isEqualTo(code);
        assertThat(e.get("detail").asText()).contains(detailContains);
    }

    // ---- health, readiness, metrics ----

    @Test
    void healthzAndReadyz() throws Exception {
        try (RunningWeir h = start()) {
            HttpResponse<String> health = h.get("/healthz");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).isEqualTo("ok\n");
            HttpResponse<String> ready = h.get("/readyz");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).isEqualTo("ready\n");
        }
    }

    @Test
    void readyzAnswers503OnceShutdownStartsWhileHealthzStaysUp() throws Exception {
        try (RunningWeir h = start()) {
            Socket client = connect(h.address());
            client.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readLine(client.getInputStream())).isIn("a", "b");
                        // The held connection keeps shutdown in its drain; readiness must already say no.
            CompletableFuture<Integer> shutdown = CompletableFuture.supplyAsync(() -> {
                try {
                    return h.weir().shutdown(Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> h.get("/readyz").statusCode() == 503);
            assertThat(h.get("/readyz").body()).isEqualTo("stopping\n");
            assertThat(h.get("/healthz").statusCode()).isEqualTo(200);
            assertThat(shutdown).isNotDone();
            client.close();
            // Done well before the 30 s drain deadline: the drain ended with the last connection.
            shutdown.get(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void metricsScrapeCountsRealTraffic() throws Exception {
        try (RunningWeir h = start()) {
            for (int i = 0; i < 5; i++) {
                assertThat(whoami(h)).isIn("a", "b");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> sum(h.get("/metrics").body(), "weir_connections_closed_total") == 5);
            HttpResponse<String> r = h.get("/metrics");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
            assertThat(r.body()).contains("weir_connections_closed_total{");
            assertThat(sum(r.body(), "weir_connections_opened_total")).isEqualTo(5);
            assertThat(sum(r.body(), "weir_connections_active")).isZero();
            // whoami\n from each client, a\n or b\n back
            assertThat(sum(r.body(), "weir_bytes_received_total")).isEqualTo(5 * 7);
            assertThat(sum(r.body(), "weir_bytes_sent_total")).isEqualTo(5 * 2);

            HttpResponse<String> open = h.get("/metrics", "Accept", "application/openmetrics-text; version=1.0.0");
            assertThat(open.statusCode()).isEqualTo(200);
            assertThat(open.headers().firstValue("content-type")).hasValueSatisfying(
                    t -> assertThat(t).startsWith("application/openmetrics-text"));
            assertThat(open.body()).contains("weir_connections_opened_total{").endsWith("# EOF\n");
        }
    }

    /** Sum of every sample of one metric name in Prometheus text. */
    private static double sum(String scrape, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)").matcher(scrape);
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(2));
        }
        return total;
    }

    // ---- reads ----

    @Test
    void poolsListEveryBackendWithStableFieldNames() throws Exception {
        try (RunningWeir h = start()) {
            assertThat(whoami(h)).isIn("a", "b");
            HttpResponse<String> r = h.get("/api/v1/pools");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
            JsonNode pools = json(r).get("pools");
            assertThat(pools).hasSize(1);
            JsonNode p = pools.get(0);
            assertThat(p.get("name").asText()).isEqualTo("p");
            assertThat(p.get("balance").asText()).isEqualTo("round-robin");
            assertThat(p.get("health_check").isNull()).isTrue();
            assertThat(p.get("backends")).hasSize(2);
            JsonNode first = p.get("backends").get(0);
            List<String> fields = new ArrayList<>();
            first.fieldNames().forEachRemaining(fields::add);
            assertThat(fields).containsExactly("id", "name", "address", "state", "admin", "removed", "weight",
                    "active_connections", "total_connections", "connect_failures", "bytes_to_backend",
                    "bytes_from_backend", "drain", "health", "warm_pool_idle");
            assertThat(first.get("id").asText()).isEqualTo(id(a));
            assertThat(first.get("name").isNull()).as("none configured").isTrue();
            assertThat(first.get("address").asText()).isEqualTo(id(a));
            assertThat(first.get("state").asText()).isEqualTo("UP");
            assertThat(first.get("admin").asText()).isEqualTo("ACTIVE");
            assertThat(first.get("weight").asInt()).isEqualTo(1);
            assertThat(first.get("drain").isNull()).isTrue();
            assertThat(first.get("health").isNull()).isTrue();
            long total = 0;
            for (JsonNode backend : p.get("backends")) {
                total += backend.get("total_connections").asLong();
            }
            assertThat(total).isEqualTo(1);

            JsonNode one = json(h.get("/api/v1/pools/p"));
            assertThat(one.get("name").asText()).isEqualTo("p");
            assertThat(one.get("backends")).hasSize(2);
            JsonNode backend = json(h.get("/api/v1/pools/p/backends/" + seg(id(b))));
            assertThat(backend.get("id").asText()).isEqualTo(id(b));

            assertError(h.get("/api/v1/pools/nope"), 404, "not_found", "no pool \"nope\"");
            assertError(h.get("/api/v1/pools/p/backends/" + seg("127.0.0.1:1")), 404, "not_found",
                    "no backend \"127.0.0.1:1\" in pool \"p\"");
        }
    }

    @Test
    void healthDetailIsShownForAPoolWithChecks() throws Exception {
        TestConfig config = TestConfig.to(id(a)).admin(null).pool("p", p -> p
                .healthCheck("tcp", "interval", "100ms", "timeout", "100ms", "rise", 1, "fall", 1, "jitter", "0%"));
        try (RunningWeir h = config.start()) {
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    json(h.get("/api/v1/pools/p")).get("backends").get(0).get("health").get("last_check_ms").asLong() > 0);
            JsonNode p = json(h.get("/api/v1/pools/p"));
            assertThat(p.get("health_check").asText()).isEqualTo("tcp");
            JsonNode health = p.get("backends").get(0).get("health");
            List<String> fields = new ArrayList<>();
            health.fieldNames().forEachRemaining(fields::add);
            assertThat(fields).containsExactly("healthy", "last_result_ok", "last_cause", "last_check_ms",
                    "consecutive_passes", "consecutive_failures", "ejections", "check_duration_ms");
            assertThat(health.get("healthy").asBoolean()).isTrue();
            assertThat(health.get("last_result_ok").asBoolean()).isTrue();
            assertThat(health.get("consecutive_passes").asInt()).isPositive();
        }
    }

    @Test
    void listenersAndSession() throws Exception {
        try (RunningWeir h = start()) {
            JsonNode l = json(h.get("/api/v1/listeners")).get("listeners").get(0);
            assertThat(l.get("name").asText()).isEqualTo("l");
            assertThat(l.get("bind").asText()).isEqualTo("127.0.0.1:0");
            assertThat(l.get("address").asText()).isEqualTo("127.0.0.1:" + h.address().getPort());
            assertThat(l.get("pool").asText()).isEqualTo("p");
            assertThat(l.get("active_connections").asInt()).isZero();
            JsonNode session = json(h.get("/api/v1/session"));
            assertThat(session.get("token_required").asBoolean()).isFalse();
            assertThat(session.get("changes_allowed").asBoolean()).isTrue();
        }
    }

    @Test
    void configIsTheRunningConfigWithTheTokenMasked() throws Exception {
        try (RunningWeir h = TestConfig.to(id(a)).admin(TOKEN).start()) {
            HttpResponse<String> r = h.get("/api/v1/config");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).doesNotContain(TOKEN);
            JsonNode c = json(r);
            assertThat(c.get("admin").get("token").asText()).as("written in the file: shown as the usual variable")
                    .isEqualTo("${WEIR_ADMIN_TOKEN}");
            assertThat(c.get("listeners").get("l").get("bind").asText()).isEqualTo("127.0.0.1:0");
            assertThat(c.get("listeners").get("l").has("name")).as("the name is the key, as in YAML").isFalse();
            assertThat(c.get("pools").get("p").get("balance").asText()).isEqualTo("round-robin");
            assertThat(c.get("pools").get("p").get("connect-timeout").asText()).isEqualTo("5s");
            assertThat(c.get("pools").get("p").get("backends").get(0).get("address").asText()).isEqualTo(id(a));
            assertThat(c.get("shutdown").get("drain-timeout").asText()).isEqualTo("5s");
        }
    }

    @Test
    void statusPageIsOneSelfContainedHtmlPage() throws Exception {
        try (RunningWeir h = start()) {
            HttpResponse<String> r = h.get("/");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
            assertThat(r.headers().firstValue("content-security-policy")).hasValueSatisfying(
                    csp -> assertThat(csp).contains("default-src 'none'").contains("connect-src 'self'"));
            assertThat(r.body()).contains("<script>").contains("/api/v1/pools").doesNotContain("src=\"http");
        }
    }

    // ---- state changes ----

    @Test
    void drainDisableEnableAnswerWithTheBackend() throws Exception {
        try (RunningWeir h = start()) {
            String path = "/api/v1/pools/p/backends/" + seg(id(a));
            HttpResponse<String> drained = h.post(path + "/drain", null);
            assertThat(drained.statusCode()).as(drained.body()).isEqualTo(200);
            JsonNode d = json(drained);
            assertThat(d.get("state").asText()).isEqualTo("DRAINING");
            assertThat(d.get("admin").asText()).isEqualTo("DRAINING");
            assertThat(d.get("drain").get("started_at_ms").asLong()).isPositive();
            assertThat(d.get("drain").get("remaining_connections").asInt()).isZero();
            assertThat(d.get("drain").get("deadline_at_ms").asLong() - d.get("drain").get("started_at_ms").asLong())
                    .isEqualTo(Duration.ofMinutes(5).toMillis());
            for (int i = 0; i < 4; i++) {
                assertThat(whoami(h)).as("a draining backend gets no new clients").isEqualTo("b");
            }

            JsonNode disabled = json(h.post(path + "/disable", null));
            assertThat(disabled.get("state").asText()).isEqualTo("DISABLED");
            assertThat(disabled.get("drain").isNull()).isTrue();

            HttpResponse<String> enabled = h.post(path + "/enable", "");
            assertThat(enabled.statusCode()).isEqualTo(200);
            assertThat(json(enabled).get("state").asText()).isEqualTo("UP");

            assertError(h.post("/api/v1/pools/p/backends/" + seg("127.0.0.1:1") + "/drain", null), 404,
                    "not_found", "no backend");
            assertError(h.post("/api/v1/pools/nope/backends/x/drain", null), 404, "not_found", "no pool \"nope\"");
            assertError(h.post(path + "/explode", null), 404, "not_found", "no route");
        }
    }

    @Test
    void addAndRemoveABackend() throws Exception {
        try (RunningWeir h = TestConfig.to(id(a)).admin(null).start()) {
            HttpResponse<String> added = h.post("/api/v1/pools/p/backends",
                    "{\"address\": \"" + id(b) + "\", \"weight\": 3, \"name\": \"bee\"}");
            assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
            assertThat(added.headers().firstValue("location")).hasValue("/api/v1/pools/p/backends/bee");
            JsonNode j = json(added);
            assertThat(j.get("id").asText()).isEqualTo("bee");
            assertThat(j.get("address").asText()).isEqualTo(id(b));
            assertThat(j.get("weight").asInt()).isEqualTo(3);
            assertThat(j.get("state").asText()).isEqualTo("UP");
            assertThat(json(h.get("/api/v1/pools/p")).get("backends")).hasSize(2);

            assertError(h.post("/api/v1/pools/p/backends", "{\"address\": \"" + id(b) + "\"}"), 409, "conflict",
                    "already in pool");
            assertError(h.post("/api/v1/pools/nope/backends", "{\"address\": \"" + id(b) + "\"}"), 404, "not_found",
                    "no pool");

            // A live connection to "bee" keeps it draining after the DELETE.
            Socket held = null;
            for (int i = 0; i < 8 && held == null; i++) {
                Socket s = connect(h.address());
                s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
                if (readLine(s.getInputStream()).equals("b")) {
                    held = s;
                } else {
                    s.close();
                }
            }
            assertThat(held).as("a client on bee").isNotNull();
            HttpResponse<String> removed = h.delete("/api/v1/pools/p/backends/bee");
            assertThat(removed.statusCode()).as(removed.body()).isEqualTo(202);
            JsonNode r = json(removed);
            assertThat(r.get("removed").asBoolean()).isTrue();
            assertThat(r.get("state").asText()).isEqualTo("DRAINING");
            assertThat(r.get("drain").get("remaining_connections").asInt()).isEqualTo(1);
            assertError(h.delete("/api/v1/pools/p/backends/bee"), 409, "conflict", "already being removed");
            held.close();
            await().atMost(Duration.ofSeconds(5)).until(() -> h.get("/api/v1/pools/p/backends/bee").statusCode() == 404);

            // Without a live connection it is gone at once; the answer is its last state.
            h.post("/api/v1/pools/p/backends", "{\"address\": \"" + id(b) + "\"}");
            HttpResponse<String> gone = h.delete("/api/v1/pools/p/backends/" + seg(id(b)));
            assertThat(gone.statusCode()).isEqualTo(202);
            assertThat(json(gone).get("removed").asBoolean()).isTrue();
            assertThat(h.get("/api/v1/pools/p/backends/" + seg(id(b))).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void badInputIsA400NamingTheField() throws Exception {
        try (RunningWeir h = start()) {
            String path = "/api/v1/pools/p/backends";
            assertError(h.post(path, "{\"address\": "), 400, "bad_request", "malformed JSON at line 1, column ");
            assertError(h.post(path, "{\"address\" \"x\"}"), 400, "bad_request", "malformed JSON at line 1, column 12");
            assertError(h.post(path, "{\"address\": \"127.0.0.1:1\"} []"), 400, "bad_request", "malformed JSON");
            assertError(h.post(path, "{\"address\": \"127.0.0.1:1\", \"address\": \"127.0.0.1:2\"}"), 400,
                    "bad_request", "Duplicate field");
            assertError(h.post(path, null), 400, "bad_request", "body: required");
            assertError(h.post(path, "[1]"), 400, "bad_request", "body: array (expected: a JSON object)");
            assertError(h.post(path, "{}"), 400, "bad_request", "address: required");
            assertError(h.post(path, "{\"address\": 5}"), 400, "bad_request", "address: 5");
            assertError(h.post(path, "{\"address\": \"nocolon\"}"), 400, "bad_request", "address: \"nocolon\" (missing :port)");
            assertError(h.post(path, "{\"address\": \"127.0.0.1:0\"}"), 400, "bad_request", "address: port 0");
            assertError(h.post(path, "{\"address\": \"127.0.0.1:1\", \"weight\": 0}"), 400, "bad_request",
                    "weight: 0 (expected: 1..1000)");
            assertError(h.post(path, "{\"address\": \"127.0.0.1:1\", \"weight\": \"2\"}"), 400, "bad_request",
                    "weight: \"2\" (expected: 1..1000)");
            assertError(h.post(path, "{\"address\": \"127.0.0.1:1\", \"wieght\": 2}"), 400, "bad_request",
                    "wieght: unknown field (expected: address, weight, name)");
            assertError(h.post(path, "{\"address\": \"127.0.0.1:1\", \"name\": \"\"}"), 400, "bad_request", "name: ");
            assertThat(h.raw("GET /api/v1/pools/%zz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
                    .startsWith("HTTP/1.1 400 ").contains("malformed percent-encoding");
            assertThat(json(h.get("/api/v1/pools/p")).get("backends")).as("nothing was added").hasSize(2);
        }
    }

    @Test
    void anHttpVersionOtherThan1Is505() throws Exception {
        try (RunningWeir h = start()) {
            assertThat(h.raw("GET /healthz HTTP/9.9\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
                    .startsWith("HTTP/1.1 505 ").contains("HTTP/9.9 (expected: HTTP/1.0 or HTTP/1.1)");
            assertThat(h.raw("GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")).startsWith("HTTP/1.1 200 ");
        }
    }

    @Test
    void aTokenInTheQueryIsNotLogged() throws Exception {
        ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(AdminHandler.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
                new ch.qos.logback.core.read.ListAppender<>();
        ch.qos.logback.classic.Level before = logger.getLevel();
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
        lines.start();
        logger.addAppender(lines);
        try (RunningWeir h = start()) {
            h.post("/api/v1/reload?access_token=hunter2&x=1&Token=hunter3", "");
            await().until(() -> lines.list.stream().anyMatch(e -> e.getFormattedMessage().contains("/api/v1/reload")));
            String logged = lines.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                    .filter(l -> l.contains("/api/v1/reload")).findFirst().orElseThrow();
            assertThat(logged).contains("path=\"/api/v1/reload?access_token=****&x=1&Token=****\"")
                    .doesNotContain("hunter");
        } finally {
            logger.detachAppender(lines);
            logger.setLevel(before);
        }
    }

    @Test
    void bodiesOver64KiBAre413() throws Exception {
        try (RunningWeir h = start()) {
            String big = "{\"address\": \"" + "x".repeat(70 * 1024) + "\"}";
            assertError(h.post("/api/v1/pools/p/backends", big), 413, "payload_too_large", "more than 65536 bytes");
            // Right at the limit is parsed (and refused for its content).
            String fits = "{\"address\": \"" + "x".repeat(64 * 1024 - 20) + "\"}";
            assertThat(fits.length()).isLessThanOrEqualTo(64 * 1024);
            assertError(h.post("/api/v1/pools/p/backends", fits), 400, "bad_request", "address: ");
            assertThat(h.get("/healthz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void wrongMethodIs405WithAllow() throws Exception {
        try (RunningWeir h = start()) {
            HttpResponse<String> r = h.get("/api/v1/reload");
            assertError(r, 405, "method_not_allowed", "GET /api/v1/reload (allowed: POST)");
            assertThat(r.headers().firstValue("allow")).hasValue("POST");
            assertThat(h.post("/api/v1/pools", "{}").headers().firstValue("allow")).hasValue("GET");
            HttpResponse<String> put = h.send(HttpRequest.newBuilder(h.uri("/api/v1/pools/p/backends/" + seg(id(a))))
                    .PUT(HttpRequest.BodyPublishers.noBody()));
            assertThat(put.statusCode()).isEqualTo(405);
            assertThat(put.headers().firstValue("allow")).hasValue("GET, DELETE");
            assertThat(h.get("/api/v1/pools/p/backends/" + seg(id(a)) + "/drain").headers().firstValue("allow"))
                    .hasValue("POST");
            assertThat(h.delete("/metrics").statusCode()).isEqualTo(405);
            assertError(h.get("/nope"), 404, "not_found", "no route /nope");
            assertError(h.get("/api/v2/pools"), 404, "not_found", "no route");
        }
    }

    @Test
    void reloadAnswersResultChangesAndErrors(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("weir.yaml");
        try (RunningWeir h = RunningWeir.with(TestConfig.to(id(a)).admin(null)).file(file).start()) {
            HttpResponse<String> same = h.post("/api/v1/reload", null);
            assertThat(same.statusCode()).as(same.body()).isEqualTo(200);
            assertThat(json(same).get("result").asText()).isEqualTo("UNCHANGED");

            TestConfig.to(id(a), id(b)).admin(null).writeTo(file);
            HttpResponse<String> reloaded = h.post("/api/v1/reload", null);
            assertThat(reloaded.statusCode()).isEqualTo(200);
            JsonNode r = json(reloaded);
            assertThat(r.get("result").asText()).isEqualTo("RELOADED");
            assertThat(r.get("changes").toString()).contains(id(b));
            assertThat(r.get("errors")).isEmpty();
            assertThat(r.get("overridden").isArray()).isTrue();

            TestConfig.to(id(a)).admin(null).set("pools.p.connect-timeout", "0s").writeTo(file);
            HttpResponse<String> failed = h.post("/api/v1/reload", null);
            assertThat(failed.statusCode()).isEqualTo(422);
            JsonNode f = json(failed);
            assertThat(f.get("result").asText()).isEqualTo("FAILED");
            assertThat(f.get("errors").get(0).asText()).contains("pools.p.connect-timeout");
            assertThat(json(h.get("/api/v1/pools/p")).get("backends")).as("the running config is kept").hasSize(2);
        }
    }

    @Test
    void reloadWithoutAConfigFileIsA422() throws Exception {
        try (RunningWeir h = start()) {
            HttpResponse<String> r = h.post("/api/v1/reload", null);
            assertThat(r.statusCode()).isEqualTo(422);
            assertThat(json(r).get("errors").get(0).asText()).isEqualTo("no config file to reload from");
        }
    }

    // ---- security ----

    @Test
    void stateChangesNeedTheBearerToken() throws Exception {
        try (RunningWeir h = TestConfig.to(id(a), id(b)).admin(TOKEN).start()) {
            String drain = "/api/v1/pools/p/backends/" + seg(id(a)) + "/drain";
            HttpResponse<String> missing = h.post(drain, null);
            assertError(missing, 401, "unauthorized", "Authorization: missing");
            assertThat(missing.headers().firstValue("www-authenticate")).hasValue("Bearer realm=\"weir-admin\"");
            assertError(h.post(drain, null, "Authorization", "Bearer wrong"), 401, "unauthorized", "wrong token");
            assertError(h.post(drain, null, "Authorization", "Bearer " + TOKEN + "x"), 401, "unauthorized", "wrong token");
            assertError(h.post(drain, null, "Authorization", "Basic " + TOKEN), 401, "unauthorized", "not a bearer token");
            assertError(h.post("/api/v1/reload", null), 401, "unauthorized", "missing");
            assertError(h.delete("/api/v1/pools/p/backends/" + seg(id(b))), 401, "unauthorized", "missing");
            assertError(h.post("/api/v1/pools/p/backends", "{\"address\": \"127.0.0.1:1\"}"), 401, "unauthorized", "missing");
            assertThat(h.weir().backends("p")).allMatch(s -> s.admin() == AdminState.ACTIVE && !s.removed());
            assertThat(h.weir().backends("p")).hasSize(2);

            HttpResponse<String> ok = h.post(drain, null, "Authorization", "Bearer " + TOKEN);
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(json(ok).get("state").asText()).isEqualTo("DRAINING");
            assertThat(h.post(drain.replace("drain", "enable"), null, "authorization", "bearer " + TOKEN).statusCode())
                    .isEqualTo(200);

            assertThat(h.get("/api/v1/pools").statusCode()).as("reads need no token").isEqualTo(200);
            assertThat(json(h.get("/api/v1/session")).get("token_required").asBoolean()).isTrue();
        }
    }

    @Test
    void withoutATokenANonLoopbackBindRefusesStateChanges() throws Exception {
        // The config refuses a wildcard bind without a token; the endpoint itself must refuse changes there too.
        RunningWeir.Starter started = RunningWeir.with(TestConfig.to(id(a)))
                .admin((weir, prometheus) -> AdminServer.start(new InetSocketAddress("0.0.0.0", 0), null, weir, prometheus));
        try (RunningWeir h = started.start()) {
            assertError(h.post("/api/v1/pools/p/backends/" + seg(id(a)) + "/drain", null), 403, "forbidden",
                    "state changes need admin.token when admin.bind is not a loopback address");
            assertThat(h.weir().backends("p").get(0).state()).isEqualTo(BackendState.UP);
            assertThat(h.get("/api/v1/pools").statusCode()).isEqualTo(200);
            JsonNode session = json(h.get("/api/v1/session"));
            assertThat(session.get("token_required").asBoolean()).isFalse();
            assertThat(session.get("changes_allowed").asBoolean()).isFalse();
        }
    }

    @Test
    void browsersFromOtherOriginsOrRebindingHostsCannotChangeState() throws Exception {
        try (RunningWeir h = start()) {
            String drain = "/api/v1/pools/p/backends/" + seg(id(a)) + "/drain";
            assertError(h.post(drain, null, "Origin", "http://evil.example"), 403, "forbidden", "cross-origin request");
            String port = String.valueOf(h.adminAddress().getPort());
            String rebound = h.raw("POST " + drain + " HTTP/1.1\r\nHost: evil.example:" + port
                    + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            assertThat(rebound).startsWith("HTTP/1.1 403 ").contains("expected: localhost, an IP address");
            assertThat(h.weir().backends("p").get(0).state()).isEqualTo(BackendState.UP);

            HttpResponse<String> same = h.post(drain, null, "Origin", "http://127.0.0.1:" + port);
            assertThat(same.statusCode()).as("the page's own origin").isEqualTo(200);
            String local = h.raw("POST " + drain.replace("drain", "enable") + " HTTP/1.1\r\nHost: localhost:" + port
                    + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            assertThat(local).startsWith("HTTP/1.1 200 ");
        }
    }

    @Test
    void aRebindingHostCannotReadEitherUnlessAdminAllowedHostsNamesIt() throws Exception {
        TestConfig config = TestConfig.to(id(a), id(b)).admin(null);
        try (RunningWeir h = config.start()) {
            String port = String.valueOf(h.adminAddress().getPort());
            for (String path : List.of("/api/v1/config", "/api/v1/pools", "/", "/metrics", "/healthz")) {
                assertThat(h.raw("GET " + path + " HTTP/1.1\r\nHost: evil.example:" + port
                        + "\r\nConnection: close\r\n\r\n")).as(path).startsWith("HTTP/1.1 403 ")
                        .contains("Host: \\\"evil.example:" + port);
            }
            assertThat(h.raw("GET /api/v1/pools HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 200 ");
            assertThat(h.raw("GET /api/v1/pools HTTP/1.1\r\nHost: [::1]:" + port
                    + "\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 200 ");

            // A name the operator allows (a Kubernetes service, say), taken on reload without a restart.
            TestConfig next = config.copy().set("admin.allowed-hosts", List.of("Weir-Admin.weir.svc"));
            assertThat(h.weir().reload(next.config()).outcome()).isEqualTo(dev.weir.proxy.api.ReloadResult.Outcome.RELOADED);
            assertThat(h.raw("GET /api/v1/pools HTTP/1.1\r\nHost: weir-admin.weir.svc:" + port
                    + "\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 200 ");
            assertThat(h.raw("GET /api/v1/pools HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"))
                    .startsWith("HTTP/1.1 403 ");
            // Reads only: a state change without a token still needs localhost or an IP address.
            String drain = "/api/v1/pools/p/backends/" + seg(id(a)) + "/drain";
            assertThat(h.raw("POST " + drain + " HTTP/1.1\r\nHost: weir-admin.weir.svc:" + port
                    + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 403 ");
        }
        assertThatThrownByConfig(TestConfig.to(id(a)).admin(null).set("admin.allowed-hosts", List.of("a b")),
                "admin.allowed-hosts[0]: \"a b\" (expected: a host name like weir-admin.weir.svc, without a port)");
    }

    private static void assertThatThrownByConfig(TestConfig config, String error) {
        org.assertj.core.api.Assertions.assertThatThrownBy(config::config).hasMessageContaining(error);
    }

    // ---- concurrency and limits ----

    @Test
    void concurrentDrainAndEnableEndInAConsistentState() throws Exception {
        try (RunningWeir h = start()) {
            String path = "/api/v1/pools/p/backends/" + seg(id(a)) + "/";
            String[] actions = {"drain", "enable", "disable"};
            int threads = 8;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<List<Integer>>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    Random random = new Random(t);
                    results.add(pool.submit(() -> {
                        go.await();
                        List<Integer> codes = new ArrayList<>();
                        for (int i = 0; i < 25; i++) {
                            codes.add(h.post(path + actions[random.nextInt(actions.length)], null).statusCode());
                        }
                        return codes;
                    }));
                }
                go.countDown();
                for (Future<List<Integer>> f : results) {
                    assertThat(f.get(60, TimeUnit.SECONDS)).containsOnly(200);
                }
            } finally {
                pool.shutdownNow();
            }
            BackendStatus s = h.weir().backends("p").get(0);
            JsonNode api = json(h.get("/api/v1/pools/p/backends/" + seg(id(a))));
            assertThat(api.get("admin").asText()).isEqualTo(s.admin().name());
            assertThat(api.get("state").asText()).isEqualTo(s.state().name());
            BackendState expected = switch (s.admin()) {
                case ACTIVE -> BackendState.UP;
                case DRAINING -> BackendState.DRAINING;
                case DISABLED -> BackendState.DISABLED;
            };
            assertThat(s.state()).isEqualTo(expected);
            assertThat(api.get("drain").isNull()).isEqualTo(s.admin() != AdminState.DRAINING);

            assertThat(json(h.post(path + "enable", null)).get("state").asText()).isEqualTo("UP");
            boolean sawA = false;
            for (int i = 0; i < 4 && !sawA; i++) {
                sawA = whoami(h).equals("a");
            }
            assertThat(sawA).as("the backend takes clients again").isTrue();
        }
    }

    @Test
    void anIdleAdminConnectionIsClosed() throws Exception {
        RunningWeir.Starter started = RunningWeir.with(TestConfig.to(id(a)))
                .admin((weir, prometheus) -> AdminServer.start(loopback(), null, weir, prometheus, Duration.ofMillis(300)));
        try (RunningWeir h = started.start();
             Socket s = connect(h.adminAddress())) {
            s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            String all = readAll(s.getInputStream());
            assertThat(all).startsWith("HTTP/1.1 200 ").endsWith("ok\n");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aMalformedRequestIs400AndClosed() throws Exception {
        try (RunningWeir h = start()) {
            String r = h.raw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n");
            assertThat(r).startsWith("HTTP/1.1 400 ").contains("\"bad_request\"");
            String longLine = h.raw("GET /" + "a".repeat(5000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertThat(longLine).startsWith("HTTP/1.1 414 ");
        }
    }
}
