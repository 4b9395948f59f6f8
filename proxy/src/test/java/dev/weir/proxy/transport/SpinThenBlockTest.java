package dev.weir.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.SelectStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The spin window in virtual time: every clock read moves the clock on by 100 ns, and the "socket" has events from
 * a given instant on, so each test knows exactly what the loop would have seen.
 */
@Timeout(10)
class SpinThenBlockTest {

    private static final long MAX = 16_000;

    private long now;
    private long readyAt = Long.MAX_VALUE;
    private int looks;
    private final SpinThenBlock spin = new SpinThenBlock(MAX, () -> now += 100);

    private int choose(boolean hasTasks) throws Exception {
        return spin.calculateStrategy(() -> {
            looks++;
            return now >= readyAt ? 3 : 0;
        }, hasTasks);
    }

    /** Events that arrive {@code afterNanos} from now. */
    private void eventsIn(long afterNanos) {
        readyAt = now + afterNanos;
    }

    @Test
    void eventsArrivingWithinTheWindowAreTakenWithoutBlocking() throws Exception {
        eventsIn(0);
        assertThat(choose(false)).isEqualTo(3);
        assertThat(looks).isEqualTo(1);
        assertThat(spin.window()).as("found early: the window stays").isEqualTo(SpinThenBlock.START_NANOS);

        eventsIn(1_500);
        assertThat(choose(false)).isEqualTo(3);
        assertThat(spin.window()).as("found late: the window widens").isEqualTo(2 * SpinThenBlock.START_NANOS);
    }

    @Test
    void aWindowWithoutEventsBlocksHalvesAndThenCloses() throws Exception {
        long before = now;
        assertThat(choose(false)).isEqualTo(SelectStrategy.SELECT);
        // It looked for the whole window, about once per gap, and no longer.
        assertThat(now - before).isBetween(SpinThenBlock.START_NANOS, SpinThenBlock.START_NANOS + 1_000);
        assertThat(looks).isBetween(2, 4);
        assertThat(spin.window()).isEqualTo(SpinThenBlock.START_NANOS / 2);

        assertThat(choose(false)).isEqualTo(SelectStrategy.SELECT);
        assertThat(spin.window()).isZero();
    }

    @Test
    void aClosedWindowBlocksAtOnceAndIsTriedAgainOncePerProbeInterval() throws Exception {
        choose(false);
        choose(false);
        assertThat(spin.window()).isZero();

        looks = 0;
        for (int i = 1; i < SpinThenBlock.PROBE_EVERY; i++) {
            assertThat(choose(false)).isEqualTo(SelectStrategy.SELECT);
        }
        assertThat(looks).as("a closed window does not look at all").isZero();

        eventsIn(1_500);
        assertThat(choose(false)).as("the probe finds the events").isEqualTo(3);
        assertThat(spin.window()).as("found late in the probe: open again, wider").isEqualTo(2 * SpinThenBlock.START_NANOS);
    }

    @Test
    void eventsLateInTheWindowWidenItUpToTheMaximum() throws Exception {
        for (int i = 0; i < 10; i++) {
            eventsIn(spin.window() * 3 / 4);
            assertThat(choose(false)).isEqualTo(3);
        }
        assertThat(spin.window()).isEqualTo(MAX);
    }

    @Test
    void pendingTasksLookOnceAndNeverSpin() throws Exception {
        long before = now;

        assertThat(choose(true)).isZero();
        assertThat(looks).isEqualTo(1);
        assertThat(now).isEqualTo(before);
    }

    @Test
    void aMaximumBelowTheStartingWindowIsRespected() throws Exception {
        SpinThenBlock small = new SpinThenBlock(1_000, () -> now += 100);
        long before = now;

        assertThat(small.calculateStrategy(() -> 0, false)).isEqualTo(SelectStrategy.SELECT);
        assertThat(now - before).isLessThanOrEqualTo(1_000 + 200);
    }
}
