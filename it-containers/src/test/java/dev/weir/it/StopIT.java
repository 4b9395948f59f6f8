package dev.weir.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 6: {@code docker stop} of Weir (SIGTERM, the image's STOPSIGNAL) with transfers in flight. /readyz turns
 * 503 first, the transfers complete byte-exact, and the container exits with status 0.
 */
@ExtendWith(ContainerSuite.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StopIT {

    static final long TOTAL = 32L << 20;
    static final long PAUSE_AT = 8L << 20;

    @RegisterExtension
    static final Stack stack = new Stack("stop", 2, backends -> "pools:\n  web:\n    balance: round-robin\n"
                + Snippets.backends(backends) + "shutdown: {drain-timeout: 60s}\n");

    @Test
    void dockerStopDrainsTransfersThenExitsZero() throws Exception {
        Admin admin = stack.weir.admin();
        assertThat(admin.status("/readyz")).isEqualTo(200);
        List<Transfer> transfers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            transfers.add(Transfer.start(Net.distinctSource(61, i), stack.port(), TOTAL, PAUSE_AT, 610 + i));
        }
        for (Transfer t : transfers) {
            t.awaitPaused(60, TimeUnit.SECONDS);
        }

        long stopAt = System.nanoTime();
        String id = stack.weir.getContainerId();
        // docker stop -t 90: the STOPSIGNAL, then SIGKILL only after 90 s (more than shutdown.drain-timeout).
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(
                () -> Containers.docker().stopContainerCmd(id).withTimeout(90).exec());

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .until(() -> admin.status("/readyz") == 503);
        long notReadyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopAt);
        assertThat(stack.weir.exitCode()).as("still running, draining").isNull();
        assertThat(admin.status("/healthz")).as("alive while draining").isEqualTo(200);
        // readyz turns 503 first, then the listeners close (a few ms later): new clients are refused from then on.
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            try {
                Net.whoami(Net.distinctSource(62, 0), stack.port());
                return false;
            } catch (IOException refused) {
                return true;
            }
        });
        assertThat(stopped).isNotDone();

        transfers.forEach(Transfer::resume);
        for (Transfer t : transfers) {
            assertThat(t.done().get(60, TimeUnit.SECONDS)).isEqualTo(TOTAL);
        }
        stopped.get(60, TimeUnit.SECONDS);
        long stopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopAt);
        assertThat(stack.weir.exitCode()).as(stack.weir.getLogs()).isEqualTo(0L);
        String logs = stack.weir.getLogs();
        assertThat(logs).contains("signal received signal=SIGTERM action=graceful-shutdown")
                .contains("shutdown started live_connections=3")
                .contains("shutdown complete closed_at_deadline=0");
        System.out.printf("[weir] docker stop: /readyz 503 after %d ms, 3 transfers of 32 MiB completed byte-exact,"
                + " exit 0 after %d ms%n", notReadyMs, stopMs);
    }
}
