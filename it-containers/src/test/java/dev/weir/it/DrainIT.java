package dev.weir.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 5: drain through the admin API while a 200 MiB transfer runs through that backend. The transfer
 * completes byte-exact, new connections avoid the backend, and the API shows the drain's progress.
 */
@ExtendWith(ContainerSuite.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DrainIT {

    static final long TOTAL = 200L << 20;
    static final long PAUSE_AT = 64L << 20;

    @RegisterExtension
    static final Stack stack = new Stack("drain", 2, backends -> "pools:\n  web:\n    balance: round-robin\n    drain-timeout: 2m\n"
                + Snippets.backends(backends));

    @Test
    void drainedBackendFinishesItsTransferAndGetsNoNewClients() throws Exception {
        Admin admin = stack.weir.admin();
        long start = System.nanoTime();
        Transfer transfer = Transfer.start(Net.distinctSource(51, 0), stack.port(), TOTAL, PAUSE_AT, 51);
        String drained = transfer.backend;
        String other = drained.equals("svc-a") ? "svc-b" : "svc-a";
        transfer.awaitPaused(60, TimeUnit.SECONDS);

        JsonNode answer = admin.drain("web", drained);
        assertThat(answer.path("state").asText()).isEqualTo("DRAINING");

        JsonNode during = admin.backend("web", drained);
        assertThat(during.path("state").asText()).isEqualTo("DRAINING");
        assertThat(during.path("admin").asText()).isEqualTo("DRAINING");
        assertThat(during.path("active_connections").asInt()).isEqualTo(1);
        JsonNode drain = during.path("drain");
        assertThat(drain.path("remaining_connections").asInt()).as(drain.toString()).isEqualTo(1);
        assertThat(drain.path("deadline_at_ms").asLong() - drain.path("started_at_ms").asLong())
                .as("deadline - start = the pool's drain-timeout").isEqualTo(120_000);

        List<String> newClients = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            newClients.add(Net.whoami(Net.distinctSource(52, i), stack.port()));
        }
        assertThat(newClients).as("new connections while %s drains", drained).containsOnly(other);

        transfer.resume();
        long bytes = transfer.done().get(120, TimeUnit.SECONDS);
        assertThat(bytes).isEqualTo(TOTAL);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            JsonNode after = admin.backend("web", drained);
            assertThat(after.path("active_connections").asInt()).isZero();
            assertThat(after.path("drain").path("remaining_connections").asInt()).isZero();
        });
        JsonNode after = admin.backend("web", drained);
        assertThat(after.path("state").asText()).as("an operator's drain stays until enable").isEqualTo("DRAINING");
        assertThat(after.path("bytes_to_backend").asLong()).isGreaterThanOrEqualTo(TOTAL);
        assertThat(after.path("bytes_from_backend").asLong()).isGreaterThanOrEqualTo(TOTAL);
        System.out.printf("[weir] drain: 200 MiB echoed byte-exact through draining %s in %d ms; %d new clients went"
                + " to %s%n", drained, ms, newClients.size(), other);
    }
}
