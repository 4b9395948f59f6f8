package dev.weir.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 4: {@code docker pause} of a backend. Its kernel still completes connects (the listen backlog) but the
 * process never answers: a TCP check would pass, the send-expect check ({@code whoami} must come back) marks it
 * DOWN. After {@code docker unpause} it is UP again and gets clients again.
 */
@ExtendWith(ContainerSuite.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BackendPauseIT {

    static final long INTERVAL_MS = 300;
    static final long TIMEOUT_MS = 250;
    static final int FALL = 2;
    static final long BOUND_MS = Math.round(FALL * (INTERVAL_MS * 1.1 + TIMEOUT_MS)) + 1000;

    @RegisterExtension
    static final Stack stack = new Stack("pause", 3, backends -> "pools:\n  web:\n    balance: round-robin\n"
                + Snippets.backends(backends) + Snippets.sendExpect(INTERVAL_MS + "ms", TIMEOUT_MS + "ms", 2, FALL));

    @Test
    void pausedBackendGoesDownAndComesBackAfterUnpause() throws Exception {
        Admin admin = stack.weir.admin();
        await().atMost(Duration.ofSeconds(10)).until(() -> admin.states("web").values().stream().allMatch("UP"::equals));
        // Healthy and steady: the last probes of svc-b passed, so what follows is the pause's doing.
        await().atMost(Duration.ofSeconds(10)).until(() -> admin.backend("web", "svc-b").path("health")
                .path("consecutive_passes").asInt() >= 2);

        long pausedAt = System.nanoTime();
        Containers.docker().pauseContainerCmd(stack.sample("svc-b").getContainerId()).exec();
        try {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> "DOWN".equals(admin.state("web", "svc-b")));
            long detectMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pausedAt);
            String cause = admin.backend("web", "svc-b").path("health").path("last_cause").asText();
            System.out.printf("[weir] docker pause: DOWN after %d ms (bound %d ms), cause \"%s\"; transitions: %s%n",
                    detectMs, BOUND_MS, cause, stack.weir.getLogs().lines().filter(l -> l.contains("state=")).toList());
            assertThat(detectMs).as("pause to DOWN, ms").isLessThanOrEqualTo(BOUND_MS);
            assertThat(cause).startsWith("timed out after ");

            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                answers.add(Net.whoami(Net.distinctSource(41, i), stack.port()));
            }
            assertThat(answers).as("clients while svc-b is paused").containsOnly("svc-a", "svc-c");
        } finally {
            Containers.docker().unpauseContainerCmd(stack.sample("svc-b").getContainerId()).exec();
        }

        long unpausedAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> "UP".equals(admin.state("web", "svc-b")));
        System.out.printf("[weir] docker unpause: UP after %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - unpausedAt));
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            answers.add(Net.whoami(Net.distinctSource(42, i), stack.port()));
        }
        assertThat(answers).as("clients after unpause").contains("svc-b").containsOnly("svc-a", "svc-b", "svc-c");
    }
}
