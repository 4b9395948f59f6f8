package dev.weir.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.sample.BackendSample;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * deploy/grafana/weir-dashboard.json queries only metrics a real Weir exports: every metric name
 * in its expressions appears in a scrape taken after traffic, a health check, the warm pool and a
 * reload. A renamed meter fails here instead of leaving an empty panel.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GrafanaDashboardTest {

    private static final Path DASHBOARD = Path.of("..", "deploy", "grafana", "weir-dashboard.json");
    private static final Pattern NAME = Pattern.compile("\\bweir_[a-z_]+");
    private static final Pattern NAME_REGEX = Pattern.compile("__name__=~\"([^\"]+)\"");

    @Test
    void everyQueriedMetricIsExported() throws Exception {
        JsonNode dashboard = ApiJson.MAPPER.readTree(Files.readString(DASHBOARD));
        assertThat(dashboard.get("title").asText()).isEqualTo("Weir");
        List<String> exprs = new ArrayList<>();
        collect(dashboard, exprs);
        assertThat(exprs).hasSizeGreaterThan(15);

        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        int dead;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = closed.getLocalPort();
        }
        // Pool "p": checks and a warm pool. Pool "q": no checks, a dead backend, so a connect fails.
        TestConfig config = TestConfig.to(TestConfig.local(a.port())).admin(null)
                .pool("p", p -> p.healthCheck("tcp", "interval", "100ms", "timeout", "100ms", "rise", 1, "fall", 1,
                                "jitter", "0%")
                        .set("warm-pool", TestConfig.map("min-idle", 1, "max-idle-time", "30s")))
                .listener("m", "q").pool("q", TestConfig.local(dead), TestConfig.local(a.port()));
        try (RunningWeir h = config.start()) {
            for (String listener : new String[] {"l", "m", "m"}) {
                try (Socket s = new Socket("127.0.0.1", h.address(listener).getPort())) {
                    s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
                    assertThat(s.getInputStream().read()).isEqualTo('a');
                }
            }
            h.post("/api/v1/reload", null);
            await().atMost(Duration.ofSeconds(5)).until(() -> h.get("/metrics").body().contains("weir_connections_closed_total{"));
            Set<String> exported = new LinkedHashSet<>();
            for (String line : h.get("/metrics").body().split("\n")) {
                if (!line.startsWith("#")) {
                    exported.add(line.split("[{ ]", 2)[0]);
                }
            }
            for (String expr : exprs) {
                Matcher regex = NAME_REGEX.matcher(expr);
                while (regex.find()) {
                    Pattern p = Pattern.compile(regex.group(1));
                    assertThat(exported).as("a series matching %s in %s", p, expr).anyMatch(n -> p.matcher(n).matches());
                }
                Matcher m = NAME.matcher(NAME_REGEX.matcher(expr).replaceAll(""));
                while (m.find()) {
                    assertThat(exported).as("metric in %s", expr).contains(m.group());
                }
            }
        } finally {
            a.close();
        }
    }

    /** Every {@code expr} and variable {@code query} in the dashboard. */
    private static void collect(JsonNode node, List<String> out) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> {
                if ((e.getKey().equals("expr") || e.getKey().equals("query")) && e.getValue().isTextual()) {
                    out.add(e.getValue().asText());
                } else {
                    collect(e.getValue(), out);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collect(n, out));
        }
    }
}
