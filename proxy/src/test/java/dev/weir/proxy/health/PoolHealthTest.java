package dev.weir.proxy.health;

import static dev.weir.proxy.health.Checks.backend;
import static dev.weir.proxy.health.Checks.passive;
import static dev.weir.proxy.health.Checks.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.config.HealthCheckConfig;
import dev.weir.proxy.config.PassiveConfig;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The state machine and its timers in virtual time: a manual scheduler and scripted probe results
 * (each probe takes 10ms). Random is fixed at 0.5, so a backend's first probe comes half an interval
 * after it is added, and the next one an interval after each result.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PoolHealthTest {

    private final ManualScheduler clock = new ManualScheduler();
    private final FakeProber prober = new FakeProber(clock);
    private final Events events = new Events();
    private final Backend b = backend("127.0.0.1", 9001);
    private double random = 0.5;

    private PoolHealth health(HealthCheckConfig active, PassiveConfig passive) {
        return events.track(new PoolHealth("web", active, passive, clock, prober, events, () -> random));
    }

    @Test
    void goesDownAfterFallFailuresAndUpAfterRisePasses() {
        PoolHealth health = health(tcp(1000, 500, 2, 3), null);
        health.add(b, true);
        assertThat(health.isHealthy(b)).isTrue();
        clock.advance(510);
        assertThat(prober.times()).containsExactly(500L);
        assertThat(health.status(b).consecutivePasses()).isEqualTo(1);
        assertThat(health.status(b).lastCheckMillis()).isEqualTo(510);

        prober.down("connection refused");
        clock.advance(1010);
        clock.advance(1010);
        assertThat(health.isHealthy(b)).as("2 failures, fall is 3").isTrue();
        assertThat(health.status(b).lastCause()).isEqualTo("connection refused");
        assertThat(health.status(b).lastResultOk()).isFalse();
        assertThat(events.list).isEmpty();
        clock.advance(1010);
        assertThat(health.isHealthy(b)).isFalse();
        assertThat(events.list).singleElement().satisfies(e -> {
            assertThat(e.healthy()).isFalse();
            assertThat(e.cause()).isEqualTo("connection refused");
            assertThat(e.status().consecutiveFailures()).isEqualTo(3);
        });

        prober.up();
        clock.advance(1010);
        assertThat(health.isHealthy(b)).as("1 pass, rise is 2").isFalse();
        clock.advance(1010);
        assertThat(health.isHealthy(b)).isTrue();
        assertThat(events.states()).containsExactly(false, true);
        assertThat(events.last().cause()).isNull();
        assertThat(events.last().status().consecutivePasses()).isEqualTo(2);
        assertThat(prober.times()).containsExactly(500L, 1510L, 2520L, 3530L, 4540L, 5550L);
    }

    @Test
    void backendAddedAtRuntimeIsDownUntilItsFirstProbePassesWhichRunsAtOnce() {
        PoolHealth health = health(tcp(30_000, 1000, 2, 3), null);
        health.add(b, false);
        assertThat(health.isHealthy(b)).isFalse();
        clock.runPending();
        assertThat(prober.times()).containsExactly(0L);
        clock.advance(10);
        assertThat(health.isHealthy(b)).as("the first pass is enough, whatever rise").isTrue();
        assertThat(events.states()).containsExactly(true);
    }

    @Test
    void backendAddedAtRuntimeWhoseFirstProbeFailsComesUpAtItsFirstPass() {
        PoolHealth health = health(tcp(30_000, 1000, 2, 3), null);
        prober.down("connection refused");
        health.add(b, false);
        clock.advance(10);
        assertThat(health.isHealthy(b)).isFalse();
        assertThat(events.list).as("it was DOWN already").isEmpty();
        prober.up();
        clock.advance(30_010);
        assertThat(health.isHealthy(b)).isTrue();
        assertThat(events.states()).containsExactly(true);
    }

    @Test
    void withoutActiveChecksABackendIsHealthyAtAddAndNeverProbed() {
        PoolHealth health = health(null, null);
        health.add(b, false);
        clock.advance(100_000);
        assertThat(health.isHealthy(b)).isTrue();
        assertThat(prober.probes).isEmpty();
        assertThat(health.isHealthy(backend("127.0.0.1", 9002))).as("never added").isFalse();
    }

    @Test
    void jitterLengthensOrShortensTheIntervalByUpToItsFraction() {
        assertThat(PoolHealth.jittered(1000, 0.2, 0.0)).isEqualTo(800);
        assertThat(PoolHealth.jittered(1000, 0.2, 0.5)).isEqualTo(1000);
        assertThat(PoolHealth.jittered(1000, 0.2, 0.999_999)).isEqualTo(1200);
        assertThat(PoolHealth.jittered(1000, 0, 0.9)).isEqualTo(1000);

        random = 0;
        health(Checks.withJitter(tcp(1000, 500, 2, 3), 0.2), null).add(b, true);
        clock.advance(5000);
        assertThat(prober.times()).startsWith(0L, 810L, 1620L, 2430L);
    }

    @Test
    void passiveEjectionWithoutActiveChecksBacksOffDoublingUpToTheCap() {
        PoolHealth health = health(null, passive(3, 1000, 3500));
        health.add(b, true);
        failConnects(health, 2);
        health.connectSucceeded(b);
        failConnects(health, 2);
        assertThat(health.isHealthy(b)).as("a success in between resets the count").isTrue();
        failConnects(health, 1);
        assertThat(health.isHealthy(b)).isFalse();
        assertThat(events.last().cause()).isEqualTo("refused");
        failConnects(health, 5);
        assertThat(health.status(b).ejections()).as("failures while ejected say nothing new").isEqualTo(1);

        assertUpAfter(1000);
        failConnects(health, 3);
        assertUpAfter(2000);
        failConnects(health, 3);
        assertUpAfter(3500);
        health.connectSucceeded(b);
        clock.runPending();
        failConnects(health, 3);
        assertUpAfter(1000);
        assertThat(health.status(b).ejections()).isEqualTo(4);
        assertThat(events.states()).containsExactly(false, true, false, true, false, true, false, true);
    }

    private void failConnects(PoolHealth health, int n) {
        for (int i = 0; i < n; i++) {
            health.connectFailed(b, "refused");
        }
        clock.runPending();
    }

    private void assertUpAfter(long millis) {
        assertThat(events.last().healthy()).isFalse();
        clock.advance(millis - 1);
        assertThat(events.last().healthy()).as("after %dms", millis - 1).isFalse();
        clock.advance(1);
        assertThat(events.last().healthy()).as("after %dms", millis).isTrue();
    }

    @Test
    void passiveEjectionWithActiveChecksNeedsRiseFreshPasses() {
        PoolHealth health = health(tcp(1000, 500, 2, 3), passive(3, 1000, 8000));
        health.add(b, true);
        clock.advance(2600);
        assertThat(health.status(b).consecutivePasses()).isEqualTo(3);
        failConnects(health, 3);
        assertThat(health.isHealthy(b)).isFalse();
        assertThat(health.status(b).consecutivePasses()).as("reset on ejection").isZero();

        clock.advance(1000);
        assertThat(health.status(b).consecutivePasses()).isEqualTo(1);
        assertThat(health.isHealthy(b)).as("ejectFor is over, but probes decide").isFalse();
        clock.advance(1010);
        assertThat(health.isHealthy(b)).isTrue();
        assertThat(events.states()).containsExactly(false, true);
    }

    @Test
    void passiveEjectionWithFailingActiveChecksStaysDown() {
        PoolHealth health = health(tcp(1000, 500, 2, 3), passive(3, 1000, 8000));
        health.add(b, true);
        clock.advance(600);
        prober.down("connection refused");
        failConnects(health, 3);
        clock.advance(60_000);
        assertThat(health.isHealthy(b)).isFalse();
        assertThat(events.states()).containsExactly(false);
    }

    @Test
    void updateAppliesTheNewIntervalAndKeepsState() {
        PoolHealth health = health(tcp(1000, 500, 2, 3), null);
        health.add(b, true);
        prober.down("connection refused");
        clock.advance(2600);
        assertThat(health.isHealthy(b)).isFalse();
        int before = prober.probes.size();
        long at = clock.now();

        health.update(tcp(200, 500, 2, 5), null);
        clock.advance(600);
        assertThat(prober.times().subList(before, prober.probes.size()))
                .containsExactly(at + 100, at + 310, at + 520);
        assertThat(health.isHealthy(b)).isFalse();
        assertThat(health.status(b).consecutiveFailures()).as("kept and still counting").isEqualTo(6);
        prober.up();
        clock.advance(420);
        assertThat(health.isHealthy(b)).isTrue();
        assertThat(events.states()).containsExactly(false, true);
    }

    @Test
    void switchingActiveChecksOffBringsADownBackendBack() {
        PoolHealth health = health(tcp(1000, 500, 2, 3), null);
        health.add(b, true);
        prober.down("connection refused");
        clock.advance(2600);
        assertThat(health.isHealthy(b)).isFalse();
        int before = prober.probes.size();
        health.update(null, null);
        clock.advance(60_000);
        assertThat(health.isHealthy(b)).as("nothing would ever bring it back").isTrue();
        assertThat(prober.probes).hasSize(before);
        assertThat(events.states()).containsExactly(false, true);
    }

    @Test
    void removeStopsProbesAndAbortsTheOneInFlight() {
        PoolHealth health = health(tcp(1000, 500, 2, 3), null);
        health.add(b, true);
        clock.advance(505);
        assertThat(prober.probes).hasSize(1);
        health.remove(b);
        clock.advance(60_000);
        assertThat(prober.probes).hasSize(1);
        assertThat(prober.aborted).isEqualTo(1);
        assertThat(health.status(b)).isNull();
        assertThat(health.isHealthy(b)).isFalse();
        assertThat(clock.pendingTimers()).isZero();
    }

    @Test
    void closeStopsEveryProbeAndTimer() {
        PoolHealth health = health(tcp(1000, 500, 2, 3), null);
        Backend other = backend("127.0.0.1", 9002);
        health.add(b, true);
        clock.runPending();
        random = 0.8;
        health.add(other, true);
        clock.advance(505);
        health.close();
        assertThat(prober.aborted).isEqualTo(1);
        assertThat(clock.pendingTimers()).isZero();
        clock.advance(60_000);
        assertThat(prober.probes).hasSize(1);
        health.connectFailed(b, "refused");
        assertThat(events.list).isEmpty();
    }

    @Test
    void aSuccessfulConnectOnlyHopsToTheHealthLoopWhenItChangesSomething() {
        PoolHealth health = health(null, passive(3, 1000, 8000));
        health.add(b, true);
        clock.runPending();
        int hops = clock.executed();
        for (int i = 0; i < 100; i++) {
            health.connectSucceeded(b);
        }
        assertThat(clock.executed()).isEqualTo(hops);
        failConnects(health, 1);
        health.connectSucceeded(b);
        clock.runPending();
        health.connectSucceeded(b);
        assertThat(clock.executed()).isEqualTo(hops + 2);

        PoolHealth noPassive = health(null, null);
        noPassive.add(b, true);
        clock.runPending();
        hops = clock.executed();
        noPassive.connectFailed(b, "refused");
        noPassive.connectSucceeded(b);
        assertThat(clock.executed()).isEqualTo(hops);
    }

    @Test
    void listenerFailureDoesNotStopChecking() {
        PoolHealth health = new PoolHealth("web", tcp(1000, 500, 1, 1), null, clock, prober,
                (backend, healthy, cause) -> {
                    throw new IllegalStateException("listener bug");
                }, () -> random);
        health.add(b, true);
        prober.down("connection refused");
        clock.advance(510);
        assertThat(health.isHealthy(b)).isFalse();
        prober.up();
        clock.advance(1010);
        assertThat(health.isHealthy(b)).isTrue();
        assertThat(prober.probes).hasSize(2);
    }
}
