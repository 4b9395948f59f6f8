package dev.weir.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 3: {@code docker kill} of a backend under steady client load. Active TCP checks mark it DOWN within the
 * configured bound, and from then on no client connection fails.
 */
@ExtendWith(ContainerSuite.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BackendKillIT {

    static final long INTERVAL_MS = 250;
    static final long TIMEOUT_MS = 200;
    static final int FALL = 2;
    /**
     * The configured bound: the probe after the kill comes at most one interval (plus 10% jitter) later, and each
     * of the {@code fall} failing probes takes at most {@code timeout}; plus 1 s for this test's polling and a
     * busy 2-core machine.
     */
    static final long BOUND_MS = Math.round(FALL * (INTERVAL_MS * 1.1 + TIMEOUT_MS)) + 1000;

    @RegisterExtension
    static final Stack stack = new Stack("kill", 3, backends -> "pools:\n  web:\n    balance: round-robin\n"
                + "    connect-attempts: 3\n" + Snippets.backends(backends)
                + "    health-check: {type: tcp, interval: " + INTERVAL_MS + "ms, timeout: " + TIMEOUT_MS
                + "ms, rise: 2, fall: " + FALL + "}\n");

    @Test
    void killedBackendIsMarkedDownInTimeAndNoClientFailsAfterThat() throws Exception {
        Admin admin = stack.weir.admin();
        await().atMost(Duration.ofSeconds(10)).until(() -> admin.states("web").values().stream().allMatch("UP"::equals));
        long downAt;
        long killedAt;
        try (Load load = Load.start(stack.port(), 6, 31, 10)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> Load.byBackend(load.outcomes()).size() == 3);
            assertThat(load.failures()).as("before the kill").isEmpty();

            killedAt = System.nanoTime();
            Containers.docker().killContainerCmd(stack.sample("svc-b").getContainerId()).exec(); // SIGKILL
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> "DOWN".equals(admin.state("web", "svc-b")));
            downAt = System.nanoTime();
            // Steady load on the two that are left: enough connections started after DOWN to judge.
            int startedBefore = load.count();
            await().atMost(Duration.ofSeconds(20)).until(() -> load.startedAfter(downAt).size() >= 200
                    && load.count() > startedBefore);
            load.close();

            long detectMs = TimeUnit.NANOSECONDS.toMillis(downAt - killedAt);
            List<Load.Outcome> before = load.outcomes().stream().filter(o -> o.startNanos() < downAt).toList();
            List<Load.Outcome> after = load.startedAfter(downAt);
            System.out.printf("[weir] docker kill: DOWN after %d ms (bound %d ms); %d connections before DOWN"
                            + " (%d failed: in flight on the killed backend), %d after (%d failed)%n",
                    detectMs, BOUND_MS, before.size(), before.stream().filter(o -> !o.ok()).count(), after.size(),
                    after.stream().filter(o -> !o.ok()).count());
            assertThat(detectMs).as("kill to DOWN, ms").isLessThanOrEqualTo(BOUND_MS);
            assertThat(after).hasSizeGreaterThan(50);
            assertThat(after).as("connections started after DOWN").allSatisfy(o -> {
                assertThat(o.error()).as(o.source()).isNull();
                assertThat(o.backend()).isIn("svc-a", "svc-c");
            });
        }
        assertThat(admin.backend("web", "svc-b").path("health").path("last_result_ok").asBoolean()).isFalse();
        assertThat(stack.weir.getLogs()).contains("backend=web/svc-b").containsPattern("state=DOWN");
    }
}
