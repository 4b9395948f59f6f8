package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weir.proxy.metrics.AccessLog;
import dev.weir.sample.BackendSample;
import java.net.Socket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * One access-log line per finished connection, text or JSON, for normal closes, refused connects and idle timeouts;
 * written by the log's own thread, whose full queue drops lines (counted) instead of holding up the proxy, and whose
 * queue a stop writes out.
 */
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
            // One time for the line, when the connection ended: the text prefix (the event's) and the object's own.
            assertThat(line.get("time").asText())
                    .isEqualTo(Instant.ofEpochMilli(lines.list.get(0).getTimeStamp()).toString());
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

    /**
     * An appender on {@code weir.access} that holds the writer on the first line until {@code release} opens (or,
     * with {@code untilDead}, until those threads have ended), then keeps every line in order.
     */
    private static final class HeldAppender extends AppenderBase<ILoggingEvent> {

        final CountDownLatch holding = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> kept = new CopyOnWriteArrayList<>();
        private final List<Thread> untilDead;

        HeldAppender(List<Thread> untilDead) {
            this.untilDead = untilDead;
        }

        @Override
        protected void append(ILoggingEvent e) {
            holding.countDown();
            try {
                release.await();
                for (Thread t : untilDead) {
                    t.join();
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            kept.add(e.getFormattedMessage());
        }
    }

    private static double dropped(RunningWeir proxy) {
        return proxy.registry().get("weir.access.log.dropped").functionCounter().count();
    }

    private static String line(int clientPort, int backendPort, String reason) {
        return "listener=l client=127\\.0\\.0\\.1:" + clientPort + " pool=p backend=127\\.0\\.0\\.1:" + backendPort
                + " connect_ms=\\d+ duration_ms=\\d+ bytes_up=7 bytes_down=2 reason=" + reason;
    }

    @Test
    void aFullQueueDropsLinesAndCountsThemWhileTheProxyGoesOn() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        HeldAppender held = new HeldAppender(List.of());
        held.start();
        access.addAppender(held);
        Logger writerLog = (Logger) LoggerFactory.getLogger(AccessLog.class);
        ListAppender<ILoggingEvent> summaries = new ListAppender<>();
        summaries.start();
        writerLog.addAppender(summaries);
        System.setProperty("weir.access-log.queue-size", "2");
        // One loop: the connections close, and queue their lines, one after the other.
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + a.port()).set("event-loop-threads", 1).start()) {
            List<Integer> ports = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                try (Socket s = proxy.connect()) {
                    ports.add(s.getLocalPort());
                    assertThat(Sockets.whoami(s)).isEqualTo("a");   // the loop still relays: the writer is held
                }
                int closed = i;
                await().until(() -> proxy.metrics().closedCount("CLIENT_CLOSED") == closed);
                if (i == 1) {
                    held.holding.await();   // the writer holds line 1; lines 2 and 3 fill the queue, 4 and 5 drop
                }
            }
            await().until(() -> dropped(proxy) == 2);
            assertThat(proxy.prometheus().scrape()).contains("weir_access_log_dropped_total 2.0");
            assertThat(held.kept).isEmpty();
            held.release.countDown();
            await().until(() -> held.kept.size() == 3);
            for (int i = 0; i < 3; i++) {
                assertThat(held.kept.get(i)).matches(line(ports.get(i), a.port(), "CLIENT_CLOSED"));
            }
            await().until(() -> !summaries.list.isEmpty());
            assertThat(summaries.list).singleElement().satisfies(e -> {
                assertThat(e.getLevel()).isEqualTo(Level.WARN);
                assertThat(e.getFormattedMessage()).matches("access log dropped 2 lines in the last \\d+s: queue full");
            });
            assertThat(proxy.whoami()).isEqualTo("a");   // and lines flow again
            await().until(() -> held.kept.size() == 4);
            assertThat(dropped(proxy)).isEqualTo(2);
        } finally {
            System.clearProperty("weir.access-log.queue-size");
            access.detachAppender(held);
            writerLog.detachAppender(summaries);
            a.close();
        }
    }

    @Test
    void shutdownWritesTheLinesOfEveryConnectionItClosed() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        List<Socket> clients = new ArrayList<>();
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + a.port()).set("event-loop-threads", 1).start()) {
            for (int i = 0; i < 50; i++) {
                Socket s = proxy.connect();
                clients.add(s);
                assertThat(Sockets.whoami(s)).isEqualTo("a");
            }
            // The writer is held on the first line until the proxy's event loops have ended, so that the lines of
            // the connections the stop closes are still queued when nothing else of the proxy runs.
            List<Thread> loops = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("weir-loop") && !before.contains(t)).toList();
            assertThat(loops).isNotEmpty();
            HeldAppender held = new HeldAppender(loops);
            held.start();
            held.release.countDown();
            access.addAppender(held);
            try {
                proxy.close();   // a second close, at the end of the try, does nothing
                // Nothing awaited: the stop returns once every line is written.
                assertThat(held.kept).hasSize(50);
                Set<Integer> ports = clients.stream().map(Socket::getLocalPort).collect(Collectors.toSet());
                Set<Integer> logged = new HashSet<>();
                for (String l : held.kept) {
                    Matcher m = Pattern.compile("client=127\\.0\\.0\\.1:(\\d+) ").matcher(l);
                    assertThat(m.find()).as(l).isTrue();
                    logged.add(Integer.parseInt(m.group(1)));
                    assertThat(l).matches(line(Integer.parseInt(m.group(1)), a.port(), "SHUTDOWN"));
                }
                assertThat(logged).isEqualTo(ports);
            } finally {
                access.detachAppender(held);
            }
        } finally {
            for (Socket s : clients) {
                s.close();
            }
            a.close();
        }
    }
}
