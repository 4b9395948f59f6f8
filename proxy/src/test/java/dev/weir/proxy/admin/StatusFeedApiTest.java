package dev.weir.proxy.admin;

import static dev.weir.proxy.admin.AdminCalls.json;
import static dev.weir.proxy.admin.AdminCalls.seg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.Sockets;
import dev.weir.proxy.TestConfig;
import dev.weir.sample.BackendSample;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the status page reads besides the pools: {@code /api/v1/history} (the charts' points, which follow traffic, and
 * a series that leaves with its backend), {@code /api/v1/events} (state changes, drains, departures, reloads) and
 * {@code /api/v1/info} (version, uptime, transport, the last reload).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatusFeedApiTest {

    private static final String INTERVAL = "weir.status.sample-interval-ms";

    private static BackendSample a;
    private static BackendSample b;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        // Samples every 100 ms instead of 5 s, so the points follow traffic within the test (read when Weir starts).
        System.setProperty(INTERVAL, "100");
        a = BackendSample.start("a", "127.0.0.1", 0, null);
        b = BackendSample.start("b", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() {
        System.clearProperty(INTERVAL);
        a.close();
        b.close();
    }

    private static String id(BackendSample s) {
        return TestConfig.local(s.port());
    }

    private static JsonNode get(RunningWeir h, String path) {
        HttpResponse<String> r = h.get(path);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json(r);
    }

    private static JsonNode series(JsonNode history, String kind, String name) {
        for (JsonNode s : history.get(kind)) {
            if (s.get(kind.equals("listeners") ? "listener" : "backend").asText().equals(name)) {
                return s;
            }
        }
        return null;
    }

    private static long last(JsonNode series, String field) {
        JsonNode points = series.get(field);
        return points.isEmpty() ? -1 : points.get(points.size() - 1).asLong();
    }

    private static boolean anyAbove(JsonNode series, String field, double limit) {
        for (JsonNode p : series.get(field)) {
            if (p.asDouble() > limit) {
                return true;
            }
        }
        return false;
    }

    private static List<String> events(RunningWeir h) {
        List<String> out = new ArrayList<>();
        for (JsonNode e : get(h, "/api/v1/events").get("events")) {
            out.add(e.get("type").asText() + " " + (e.get("backend").isNull() ? "" : e.get("backend").asText() + " ")
                    + e.get("text").asText());
        }
        return out;
    }

    @Test
    void historyFollowsConnectionsAndBytesOfTheListenerAndTheBackend() throws Exception {
        try (RunningWeir h = TestConfig.to(id(a)).admin(null).start()) {
            JsonNode first = get(h, "/api/v1/history");
            assertThat(first.get("interval_ms").asLong()).isEqualTo(100);
            assertThat(first.get("capacity").asInt()).isEqualTo(180);

            byte[] line = ("x".repeat(64 * 1024) + "\n").getBytes(StandardCharsets.US_ASCII);
            try (Socket s = Sockets.connect(h.address())) {
                s.getOutputStream().write(line);
                InputStream in = s.getInputStream();
                assertThat(in.readNBytes(line.length)).isEqualTo(line);
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    JsonNode hist = get(h, "/api/v1/history");
                    JsonNode l = series(hist, "listeners", "l");
                    JsonNode be = series(hist, "backends", id(a));
                    assertThat(last(l, "connections")).isEqualTo(1);
                    assertThat(last(be, "connections")).isEqualTo(1);
                    assertThat(anyAbove(l, "new_connections_per_s", 0)).isTrue();
                    assertThat(anyAbove(be, "new_connections_per_s", 0)).isTrue();
                    assertThat(anyAbove(be, "bytes_in_per_s", 0)).as("from the backend").isTrue();
                    assertThat(anyAbove(be, "bytes_out_per_s", 0)).as("to the backend").isTrue();
                    assertThat(be.get("pool").asText()).isEqualTo("p");
                    assertThat(l.get("connections").size()).isEqualTo(l.get("bytes_in_per_s").size());
                });
            }
            // A listener's bytes may be counted only when its connection ends: read them after it did.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                JsonNode l = series(get(h, "/api/v1/history"), "listeners", "l");
                assertThat(last(l, "connections")).isEqualTo(0);
                assertThat(anyAbove(l, "bytes_in_per_s", 0)).as("from clients").isTrue();
                assertThat(anyAbove(l, "bytes_out_per_s", 0)).as("to clients").isTrue();
            });
            JsonNode later = get(h, "/api/v1/history");
            assertThat(later.get("sampled_at_ms").asLong()).isGreaterThan(first.get("sampled_at_ms").asLong());
            assertThat(series(later, "listeners", "l").get("connections").size()).isLessThanOrEqualTo(180);
        }
    }

    @Test
    void aBackendsSeriesLeavesWithItOnReloadAndEventsTellWhatHappened() throws Exception {
        TestConfig config = TestConfig.to(id(a), id(b)).admin(null);
        try (RunningWeir h = RunningWeir.with(config).file(dir.resolve("weir.yaml")).start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> series(get(h, "/api/v1/history"), "backends", id(b)) != null);
            assertThat(get(h, "/api/v1/info").get("last_reload").isNull()).isTrue();
            assertThat(get(h, "/api/v1/events").get("events")).as("nothing happened yet").isEmpty();

            assertThat(h.post("/api/v1/pools/p/backends/" + seg(id(a)) + "/drain", null).statusCode()).isEqualTo(200);
            assertThat(h.post("/api/v1/pools/p/backends/" + seg(id(a)) + "/disable", null).statusCode()).isEqualTo(200);
            assertThat(h.post("/api/v1/pools/p/backends/" + seg(id(a)) + "/enable", null).statusCode()).isEqualTo(200);

            TestConfig.to(id(a)).admin(null).writeTo(dir.resolve("weir.yaml"));
            HttpResponse<String> reload = h.post("/api/v1/reload", null);
            assertThat(reload.statusCode()).as(reload.body()).isEqualTo(200);

            await().atMost(Duration.ofSeconds(10)).until(() -> series(get(h, "/api/v1/history"), "backends", id(b)) == null);
            assertThat(series(get(h, "/api/v1/history"), "backends", id(a))).isNotNull();
            assertThat(events(h)).containsSubsequence(
                    "DRAIN " + id(a) + " draining 0 connections",
                    "STATE " + id(a) + " DRAINING -> DISABLED",
                    "STATE " + id(a) + " DISABLED -> UP",
                    "DRAIN " + id(b) + " removed: draining 0 connections",
                    "MEMBERSHIP " + id(b) + " left the pool");
            assertThat(events(h).get(events(h).size() - 1)).startsWith("RELOAD RELOADED: ").contains(id(b));

            JsonNode info = get(h, "/api/v1/info");
            assertThat(info.get("version").asText()).isEqualTo("dev");
            assertThat(info.get("transport").asText()).isEqualTo(h.weir().transport());
            assertThat(info.get("uptime_ms").asLong()).isGreaterThanOrEqualTo(0);
            assertThat(info.get("started_at_ms").asLong()).isLessThanOrEqualTo(System.currentTimeMillis());
            JsonNode last = info.get("last_reload");
            assertThat(last.get("result").asText()).isEqualTo("RELOADED");
            assertThat(last.get("at_ms").asLong()).isGreaterThanOrEqualTo(info.get("started_at_ms").asLong());
            assertThat(last.get("changes").toString()).contains(id(b));
        }
    }

    @Test
    void aFailedReloadIsTheLastReloadWithItsErrors() throws Exception {
        TestConfig config = TestConfig.to(id(a)).admin(null);
        try (RunningWeir h = RunningWeir.with(config).file(dir.resolve("weir.yaml")).start()) {
            java.nio.file.Files.writeString(dir.resolve("weir.yaml"), "listeners: [\n");
            assertThat(h.post("/api/v1/reload", null).statusCode()).isEqualTo(422);
            JsonNode last = get(h, "/api/v1/info").get("last_reload");
            assertThat(last.get("result").asText()).isEqualTo("FAILED");
            assertThat(last.get("errors")).isNotEmpty();
            assertThat(events(h).get(events(h).size() - 1)).startsWith("RELOAD FAILED: ");
        }
    }

    @Test
    void aBackendThatGoesDownIsAnEventWithItsCause() throws Exception {
        BackendSample c = BackendSample.start("c", "127.0.0.1", 0, null);
        TestConfig config = TestConfig.to(id(a), id(c)).admin(null).pool("p", p -> p
                .healthCheck("tcp", "interval", "100ms", "timeout", "100ms", "rise", 1, "fall", 1, "jitter", "0%"));
        try (RunningWeir h = config.start()) {
            c.close();
            await().atMost(Duration.ofSeconds(10)).until(() -> events(h).stream()
                    .anyMatch(e -> e.startsWith("STATE " + id(c) + " UP -> DOWN (")));
        } finally {
            c.close();
        }
    }
}
