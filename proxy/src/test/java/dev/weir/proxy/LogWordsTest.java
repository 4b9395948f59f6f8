package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.backend.connect.BackendConnector;
import dev.weir.sample.BackendSample;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/** Log lines say what happened as a person would write it: a refused connect on every transport, durations as in the config. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LogWordsTest {

    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private Logger captured;
    private Level before;

    private void capture(Class<?> logger) {
        captured = (Logger) LoggerFactory.getLogger(logger);
        before = captured.getLevel();
        captured.setLevel(Level.INFO);
        lines.start();
        captured.addAppender(lines);
    }

    @AfterEach
    void release() {
        captured.detachAppender(lines);
        captured.setLevel(before);
    }

    private List<String> messages() {
        return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @ParameterizedTest
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void aConnectToAClosedPortLogsConnectionRefused(String transport) throws Exception {
        capture(BackendConnector.class);
        int dead = Sockets.closedPort();
        try (RunningWeir proxy = TestConfig.to(TestConfig.local(dead)).transport(transport)
                .set("pools.p.connect-attempts", 1).start();
             Socket s = proxy.connect()) {
            assertThat(Sockets.closedByPeer(s)).isTrue();
            await().until(() -> !messages().isEmpty());
            assertThat(messages().get(0)).startsWith("connect failed pool=p backend=127.0.0.1:" + dead + " attempt=1/1 ")
                    .endsWith(" cause=\"connection refused\"");
        }
    }

    @Test
    void aDrainLogsItsTimeoutAsTheConfigWritesIt() throws Exception {
        capture(BackendPool.class);
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        try (RunningWeir proxy = TestConfig.to(TestConfig.local(a.port())).set("pools.p.drain-timeout", "3s").start()) {
            proxy.weir().drain("p", TestConfig.local(a.port()));
            await().until(() -> !messages().isEmpty());
            assertThat(messages().get(0)).isEqualTo("backend draining backend=p/127.0.0.1:" + a.port()
                    + " live_connections=0 drain_timeout=3s");
        } finally {
            a.close();
        }
    }
}
