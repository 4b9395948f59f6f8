package dev.weir.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.sample.BackendSample;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The connect-time histogram keeps a short, fixed list of buckets per backend (docs/admin-api.md, "Series"), and a
 * connect lands in the bucket its time belongs to.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectTimeBucketsTest {

    /** The documented budget: 12 bounds and +Inf. */
    private static final int BUCKETS_PER_BACKEND = 13;
    private static final Pattern SAMPLE = Pattern.compile("(?m)^(\\w+)\\{([^}]*)\\} (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    @Test
    void eachBackendHasTheDocumentedBucketsAndAConnectLandsInItsOwn() throws Exception {
        List<BackendSample> backends = new ArrayList<>();
        try {
            for (String name : List.of("a", "b", "c", "d")) {
                backends.add(BackendSample.start(name, "127.0.0.1", 0, null));
            }
            Object[] addresses = backends.stream().map(b -> TestConfig.local(b.port())).toArray();
            try (RunningWeir proxy = TestConfig.to(addresses).admin(null).start()) {
                Map<String, Map<Double, Double>> before = buckets(proxy.get("/metrics").body());
                assertThat(before).hasSize(backends.size());
                before.values().forEach(b -> assertThat(b).hasSize(BUCKETS_PER_BACKEND));

                String who = proxy.whoami();
                String id = TestConfig.local(backends.stream().filter(b -> b.name().equals(who)).findFirst()
                        .orElseThrow().port());
                await().until(() -> count(proxy.get("/metrics").body(), id) == 1);
                String body = proxy.get("/metrics").body();
                double seconds = sum(body, id);
                Map<Double, Double> mine = buckets(body).get(id);
                // Cumulative: every bound at or above the connect's time holds it, every bound below it does not.
                mine.forEach((le, n) -> assertThat(n).as("le=%s for %s s", le, seconds).isEqualTo(le >= seconds ? 1.0 : 0.0));
                assertThat(mine.keySet()).contains(Double.POSITIVE_INFINITY);
            }
        } finally {
            backends.forEach(BackendSample::close);
        }
    }

    /** Backend -> (le -> cumulative count) of {@code weir_connect_time_seconds_bucket} in pool p. */
    private static Map<String, Map<Double, Double>> buckets(String body) {
        Map<String, Map<Double, Double>> out = new TreeMap<>();
        Matcher m = SAMPLE.matcher(body);
        while (m.find()) {
            Map<String, String> labels = labels(m.group(2));
            if (m.group(1).equals("weir_connect_time_seconds_bucket") && "p".equals(labels.get("pool"))) {
                String bound = labels.get("le");
                double le = bound.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bound);
                Double old = out.computeIfAbsent(labels.get("backend"), k -> new TreeMap<>())
                        .put(le, Double.parseDouble(m.group(3)));
                assertThat(old).as("one line per bucket").isNull();
            }
        }
        return out;
    }

    private static Map<String, String> labels(String text) {
        Map<String, String> out = new TreeMap<>();
        Matcher m = LABEL.matcher(text);
        while (m.find()) {
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    private static double count(String body, String backend) {
        return value(body, "weir_connect_time_seconds_count", backend);
    }

    private static double sum(String body, String backend) {
        return value(body, "weir_connect_time_seconds_sum", backend);
    }

    private static double value(String body, String name, String backend) {
        Matcher m = SAMPLE.matcher(body);
        while (m.find()) {
            if (m.group(1).equals(name) && labels(m.group(2)).equals(Map.of("pool", "p", "backend", backend))) {
                return Double.parseDouble(m.group(3));
            }
        }
        throw new AssertionError("no " + name + " of " + backend + " in:\n" + body);
    }
}
