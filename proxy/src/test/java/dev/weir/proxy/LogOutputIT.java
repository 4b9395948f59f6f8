package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weir.sample.BackendSample;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the packaged jar writes with its default log setup: a JSON access-log line is one JSON object by itself
 * (JSON Lines, nothing before it), beside the text lines of the process, which say durations and causes in words.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LogOutputIT {

    @TempDir
    Path dir;

    /** The setup in code, and the same as a file (config/logback.xml, which says it is kept alike). */
    static Stream<List<String>> logSetups() {
        return Stream.of(List.of(), List.of("-Dlogback.configurationFile=" + Path.of("../config/logback.xml").toAbsolutePath()));
    }

    @ParameterizedTest
    @MethodSource("logSetups")
    void aJsonAccessLogIsOneObjectPerLineAndTheTextLinesSpeakAsTheConfig(List<String> jvmArgs) throws Exception {
        BackendSample echo = BackendSample.start("echo", "127.0.0.1", 0, null);
        int dead = Sockets.closedPort();
        Path cfg = dir.resolve("weir.yaml");
        Files.writeString(cfg, """
                admin: {bind: off}
                access-log: {format: json}
                listeners:
                  web: {bind: 127.0.0.1:0, pool: web}
                  dead: {bind: 127.0.0.1:0, pool: dead}
                pools:
                  web: {backends: [127.0.0.1:%d]}
                  dead: {backends: [127.0.0.1:%d], connect-attempts: 1}
                shutdown: {drain-timeout: 3s}
                """.formatted(echo.port(), dead));
        try (WeirProcess weir = WeirProcess.start(Map.of(), jvmArgs, "run", "-c", cfg.toString())) {
            try (Socket s = Sockets.connect(new InetSocketAddress("127.0.0.1", weir.listenerPort("web")))) {
                assertThat(Sockets.whoami(s)).isEqualTo("echo");
            }
            try (Socket s = Sockets.connect(new InetSocketAddress("127.0.0.1", weir.listenerPort("dead")))) {
                assertThat(Sockets.closedByPeer(s)).isTrue();
            }
            weir.awaitGroup("connect failed pool=dead .* cause=\"(connection refused)\"$", Duration.ofSeconds(10));
            await().until(() -> accessLines(weir).size() == 2);
            ObjectMapper json = new ObjectMapper();
            List<String> reasons = new ArrayList<>();
            for (String line : accessLines(weir)) {
                JsonNode entry = json.readTree(line); // the whole line, nothing before the object
                assertThat(entry.isObject()).as(line).isTrue();
                assertThat(entry.get("time").asText()).isNotEmpty();
                reasons.add(entry.get("listener").asText() + " " + entry.get("reason").asText()
                        + (entry.has("connect_error") ? " " + entry.get("connect_error").asText() : ""));
            }
            assertThat(reasons).containsExactlyInAnyOrder("web CLIENT_CLOSED", "dead CONNECT_FAILED connection refused");
            weir.signal("TERM");
            weir.awaitGroup("shutdown started live_connections=0 (drain_timeout=3s)$", Duration.ofSeconds(10));
            assertThat(weir.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            // The process's own lines keep their time, level and logger.
            assertThat(weir.lines()).filteredOn(l -> l.contains("listener bound listener=web"))
                    .singleElement().asString().matches("\\d{4}-\\d\\d-\\d\\dT\\S+ INFO  ProxyListener listener bound .*");
        } finally {
            echo.close();
        }
    }

    /** The access log's lines: those that carry a connection's close reason. */
    private static List<String> accessLines(WeirProcess weir) {
        return weir.lines().stream().filter(l -> l.contains("\"reason\":")).toList();
    }
}
