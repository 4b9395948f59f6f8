package dev.weir.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 7: the mounted config changes (svc-a removed, svc-c added) and {@code docker kill -s HUP} reloads it.
 * The pool follows, and no client connection fails, before, during or after.
 */
@ExtendWith(ContainerSuite.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReloadIT {

    @RegisterExtension
    static final Stack stack = new Stack("reload", 3, backends -> pool(backends[0], backends[1]));

    /** Pool web over {@code backends} (after the listener, which {@link Stack} and the reload write). */
    static String pool(Containers.Sample... backends) {
        return "pools:\n  web:\n    balance: round-robin\n    drain-timeout: 30s\n"
                + Snippets.backends(backends) + Snippets.sendExpect("500ms", "450ms", 1, 3);
    }

    @Test
    void sighupAppliesTheChangedFileWithoutFailingAClient() throws Exception {
        Admin admin = stack.weir.admin();
        try (Load load = Load.start(stack.port(), 6, 71, 10)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> Load.byBackend(load.outcomes()).size() == 2);

            // The listener keeps the port it bound (written out now that it is known); the admin bind stays as it
            // was started (port 0), or the reload would start a second admin endpoint.
            stack.weir.config.write(Snippets.listener(stack.port()) + pool(stack.sample("svc-b"), stack.sample("svc-c")));
            // reload.watch is off: the file changed, yet the pool stays as it was until SIGHUP.
            // (A pool that changed never changes back: the long bound only lets one slow admin answer on a loaded
            // machine finish, as one once took over 1.5 s in CI; it cannot let a wrong state pass.)
            await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(admin.backends("web")).containsOnlyKeys("svc-a", "svc-b"));

            long hupAt = System.nanoTime();
            stack.weir.signal("HUP");
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
                Map<String, String> states = admin.states("web");
                assertThat(states).containsOnlyKeys("svc-b", "svc-c");
                assertThat(states).containsEntry("svc-b", "UP").containsEntry("svc-c", "UP");
            });
            long followedAt = System.nanoTime();
            // Keep the load on until enough connections started after the pool followed.
            await().atMost(Duration.ofSeconds(20)).until(() -> load.startedAfter(followedAt).size() >= 100);
            load.close();

            List<Load.Outcome> after = load.startedAfter(followedAt);
            System.out.printf("[weir] SIGHUP reload: pool followed in %d ms; %d connections in all, %d failed;"
                            + " after: %s%n", TimeUnit.NANOSECONDS.toMillis(followedAt - hupAt), load.count(),
                    load.failures().size(), Load.byBackend(after));
            assertThat(load.failures()).as("failed client connections").isEmpty();
            assertThat(Load.byBackend(after)).containsOnlyKeys("svc-b", "svc-c");
        }
        String logs = stack.weir.getLogs();
        assertThat(logs).contains("signal received signal=SIGHUP action=reload")
                .containsPattern("reload result=RELOADED changes=2 .*svc-c.*added")
                .doesNotContain("result=FAILED");
    }
}
