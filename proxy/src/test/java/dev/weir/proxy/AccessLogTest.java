package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weir.sample.BackendSample;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** One access-log line per finished connection, text or JSON, for normal closes, refused connects and idle timeouts. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AccessLogTest {

    private final Logger access = (Logger) LoggerFactory.getLogger("weir.access");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private Level before;

    @BeforeEach
    void capture() {
        before = access.getLevel();
        access.setLevel(Level.INFO);
        lines.start();
        access.addAppender(lines);
    }

    @AfterEach
    void release() {
        access.detachAppender(lines);
        access.setLevel(before);
    }

    private String byReason(String reason) {
        return messages().stream().filter(l -> l.contains("\"reason\":\"" + reason) || l.contains(" reason=" + reason))
                .findFirst().orElseThrow(() -> new AssertionError("no line with reason " + reason + ": " + messages()));
    }

    private List<String> messages() {
        return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void textLinesForANormalCloseARefusedConnectAndAnIdleTimeout() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        int dead = Sockets.closedPort();
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + a.port(), "127.0.0.1:" + dead)
                .set("listeners.l.idle-timeout", "300ms").set("pools.p.connect-attempts", 1).start()) {
            assertThat(proxy.whoami()).isEqualTo("a");                 // normal close
            try (Socket s = proxy.connect()) {                          // round-robin: the dead port
                assertThat(Sockets.closedByPeer(s)).isTrue();
            }
            try (Socket s = proxy.connect()) {                          // back on a, then idle
                assertThat(Sockets.whoami(s)).isEqualTo("a");
                assertThat(Sockets.closedByPeer(s)).isTrue();
            }
            await().until(() -> messages().size() == 3);
            // Connections finish on their own event loops: find each line by its reason, not its position.
            List<String> m = List.of(byReason("CLIENT_CLOSED"), byReason("CONNECT_FAILED"), byReason("IDLE_TIMEOUT"));
            assertThat(m.get(0)).matches("listener=l client=127\\.0\\.0\\.1:\\d+ pool=p backend=127\\.0\\.0\\.1:" + a.port()
                    + " connect_ms=\\d+ duration_ms=\\d+ bytes_up=7 bytes_down=2 reason=CLIENT_CLOSED");
            assertThat(m.get(1)).matches("listener=l client=127\\.0\\.0\\.1:\\d+ pool=p backend=- connect_ms=- "
                    + "duration_ms=\\d+ bytes_up=0 bytes_down=0 reason=CONNECT_FAILED connect_error=\"connection refused\"");
            assertThat(m.get(2)).contains("backend=127.0.0.1:" + a.port()).contains("bytes_up=7 bytes_down=2")
                    .endsWith("reason=IDLE_TIMEOUT");
        } finally {
            a.close();
        }
    }

    @Test
    void jsonLinesCarryTheSameFields() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + a.port())
                .set("access-log.format", "json").start()) {
            assertThat(proxy.whoami()).isEqualTo("a");
            await().until(() -> messages().size() == 1);
            JsonNode line = new ObjectMapper().readTree(messages().get(0));
            assertThat(line.get("listener").asText()).isEqualTo("l");
            assertThat(line.get("client").asText()).startsWith("127.0.0.1:");
            assertThat(line.get("backend").asText()).isEqualTo("127.0.0.1:" + a.port());
            assertThat(line.get("connect_ms").isNumber()).isTrue();
            assertThat(line.get("bytes_up").asLong()).isEqualTo(7);
            assertThat(line.get("bytes_down").asLong()).isEqualTo(2);
            assertThat(line.get("reason").asText()).isEqualTo("CLIENT_CLOSED");
            assertThat(line.get("time").asText()).isNotEmpty();
        } finally {
            a.close();
        }
    }

    @Test
    void disabledMeansNoLines() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + a.port())
                .set("access-log.enabled", false).start()) {
            assertThat(proxy.whoami()).isEqualTo("a");
            await().until(() -> proxy.metrics().closedCount("CLIENT_CLOSED") == 1.0);
            assertThat(messages()).isEmpty();
        } finally {
            a.close();
        }
    }
}
