package dev.weir.proxy.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.health.HealthState.Transition;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The pure transitions, one input at a time. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthStateTest {

    @Test
    void onlyChangesAreTransitions() {
        HealthState s = new HealthState(true);
        assertThat(s.probed(true, null, 1, 1, 2, 2)).isEqualTo(Transition.NONE);
        assertThat(s.probed(false, "x", 2, 1, 2, 2)).isEqualTo(Transition.NONE);
        assertThat(s.probed(false, "x", 3, 1, 2, 2)).isEqualTo(Transition.DOWN_AFTER_FAILURES);
        assertThat(s.probed(false, "x", 4, 1, 2, 2)).as("already DOWN").isEqualTo(Transition.NONE);
        assertThat(s.probed(true, null, 5, 1, 2, 2)).isEqualTo(Transition.NONE);
        assertThat(s.probed(false, "x", 6, 1, 2, 2)).as("a failure resets the passes").isEqualTo(Transition.NONE);
        assertThat(s.probed(true, null, 7, 1, 2, 2)).isEqualTo(Transition.NONE);
        assertThat(s.probed(true, null, 8, 1, 2, 2)).isEqualTo(Transition.UP_AFTER_PASSES);
        assertThat(s.snapshot()).isEqualTo(new HealthStatus(true, true, null, 8, 2, 0, 0, 1));
    }

    @Test
    void connectFailuresWhileDownAreIgnored() {
        HealthState s = new HealthState(false);
        assertThat(s.connectFailed("refused", 1)).isEqualTo(Transition.NONE);
        assertThat(s.wantsSuccessReports()).isFalse();
        assertThat(s.snapshot().ejections()).isZero();
    }

    @Test
    void ejectionDelayDoublesPerEjectionInARowUpToTheCap() {
        var p = Checks.passive(3, 30_000, 300_000);
        assertThat(HealthState.ejectionDelayMillis(p, 1)).isEqualTo(30_000);
        assertThat(HealthState.ejectionDelayMillis(p, 2)).isEqualTo(60_000);
        assertThat(HealthState.ejectionDelayMillis(p, 4)).isEqualTo(240_000);
        assertThat(HealthState.ejectionDelayMillis(p, 5)).isEqualTo(300_000);
        assertThat(HealthState.ejectionDelayMillis(p, 70)).as("no overflow").isEqualTo(300_000);
        assertThat(HealthState.ejectionDelayMillis(p, Integer.MAX_VALUE)).isEqualTo(300_000);
    }

    @Test
    void onlyServingTrafficAgainResetsTheBackOff() {
        HealthState s = new HealthState(true);
        var p = Checks.passive(1, 1000, 60_000);
        assertThat(s.connectFailed("refused", 1)).isEqualTo(Transition.EJECTED);
        s.connectSucceeded();
        assertThat(s.ejectionDelayMillis(p)).as("a success seen while ejected does not count").isEqualTo(1000);
        assertThat(s.ejectionOver()).isEqualTo(Transition.UP_AFTER_EJECTION);
        assertThat(s.connectFailed("refused", 1)).isEqualTo(Transition.EJECTED);
        assertThat(s.ejectionDelayMillis(p)).isEqualTo(2000);
        s.ejectionOver();
        s.connectSucceeded();
        assertThat(s.wantsSuccessReports()).isFalse();
        s.connectFailed("refused", 1);
        assertThat(s.ejectionDelayMillis(p)).isEqualTo(1000);
    }
}
