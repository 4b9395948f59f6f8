package dev.weir.proxy.health;

import static dev.weir.proxy.health.Checks.backend;
import static dev.weir.proxy.health.Checks.passive;
import static dev.weir.proxy.health.Checks.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.weir.proxy.backend.Backend;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** One line per change, in the key=value shape operators grep for; nothing while the state holds. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthLogTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger(PoolHealth.class);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final ManualScheduler clock = new ManualScheduler();
    private final FakeProber prober = new FakeProber(clock);
    private final Backend b = backend("127.0.0.1", 9001);
    private Level levelBefore;

    @BeforeEach
    void capture() {
        levelBefore = logger.getLevel();
        logger.setLevel(Level.INFO);
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void release() {
        logger.detachAppender(lines);
        logger.setLevel(levelBefore);
    }

    private String line(int i) {
        ILoggingEvent e = lines.list.get(i);
        return e.getLevel() + " " + e.getFormattedMessage();
    }

    @Test
    void activeChecksLogDownAndUp() {
        PoolHealth health = new PoolHealth("web", tcp(1000, 500, 2, 3), null, clock, prober, (x, y, z) -> { },
                () -> 0.5);
        health.add(b, true);
        prober.down("expect \"+PONG\" not found in reply");
        clock.advance(10_000);
        prober.up();
        clock.advance(10_000);
        assertThat(lines.list).hasSize(2);
        assertThat(line(0)).isEqualTo("WARN backend=web/127.0.0.1:9001 state=DOWN after=3 failures "
                + "cause=\"expect \\\"+PONG\\\" not found in reply\"");
        assertThat(line(1)).isEqualTo("INFO backend=web/127.0.0.1:9001 state=UP after=2 passes");
    }

    @Test
    void passiveEjectionLogsTheEjectionAndTheReturn() {
        PoolHealth health = new PoolHealth("web", null, passive(3, 1000, 8000), clock, prober, (x, y, z) -> { },
                () -> 0.5);
        health.add(b, true);
        for (int i = 0; i < 3; i++) {
            health.connectFailed(b, "connection refused");
        }
        clock.advance(1000);
        assertThat(lines.list).hasSize(2);
        assertThat(line(0)).isEqualTo("WARN backend=web/127.0.0.1:9001 state=DOWN ejected=passive after=3 "
                + "connect failures cause=\"connection refused\"");
        assertThat(line(1)).isEqualTo("INFO backend=web/127.0.0.1:9001 state=UP after ejection");
    }
}
