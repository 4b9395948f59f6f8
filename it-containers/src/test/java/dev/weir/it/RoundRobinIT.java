package dev.weir.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** Scenario 1: round-robin across three backend-sample containers. */
@ExtendWith(ContainerSuite.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RoundRobinIT {

    @RegisterExtension
    static final Stack stack = new Stack("rr", 3, backends -> "pools:\n  web:\n    balance: round-robin\n"
                + Snippets.backends(backends));

    @Test
    void everyBackendGetsItsTurn() throws Exception {
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < 30; i++) {
            counts.merge(Net.whoami(Net.distinctSource(11, i), stack.port()), 1, Integer::sum);
        }
        assertThat(counts).containsExactlyInAnyOrderEntriesOf(Map.of("svc-a", 10, "svc-b", 10, "svc-c", 10));

        Admin admin = stack.weir.admin();
        assertThat(admin.pool("web").path("balance").asText()).isEqualTo("round-robin");
        admin.backends("web").forEach((id, backend) -> {
            assertThat(backend.path("state").asText()).as(id).isEqualTo("UP");
            assertThat(backend.path("total_connections").asLong()).as(id).isEqualTo(10);
        });
    }
}
