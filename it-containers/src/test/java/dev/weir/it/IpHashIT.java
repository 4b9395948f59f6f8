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
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 2: ip-hash. 500 client addresses keep their backend across repeated connections, and across a restart of
 * the Weir container: the Maglev table depends only on the config, so the same config gives the same mapping.
 */
@ExtendWith(ContainerSuite.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class IpHashIT {

    static final int CLIENTS = 500;

    @RegisterExtension
    static final Stack stack = new Stack("iphash", 3, backends -> "pools:\n  web:\n    balance: ip-hash\n"
                + Snippets.backends(backends));

    @Test
    void everyClientKeepsItsBackendAcrossConnectionsAndRestarts() throws Exception {
        List<String> first = mapping();
        Map<String, Integer> shares = new TreeMap<>();
        first.forEach(backend -> shares.merge(backend, 1, Integer::sum));
        // Every backend has its share (1/3 each in expectation; 100 is far below what chance allows to miss).
        assertThat(shares).containsOnlyKeys("svc-a", "svc-b", "svc-c");
        assertThat(shares.values()).allSatisfy(n -> assertThat(n).isGreaterThan(100));

        assertThat(mapping()).as("the same clients again").isEqualTo(first);

        stack.pinPorts(); // the restart binds again the ports Weir logged at its first start
        long restartStart = System.nanoTime();
        Containers.docker().restartContainerCmd(stack.weir.getContainerId()).withTimeout(30).exec();
        Admin admin = stack.weir.admin();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> admin.status("/readyz") == 200);
        System.out.printf("[weir] ip-hash: Weir container restarted and ready in %d ms; shares %s%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartStart), shares);
        assertThat(stack.weir.getLogs()).as("a second start in the same container").containsPattern("(?s)weir ready.*weir ready");

        assertThat(mapping()).as("the same clients after a restart of the Weir container").isEqualTo(first);
    }

    /** The backend of each of the 500 clients, in client order. */
    private static List<String> mapping() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                String source = Net.distinctSource(21, i);
                answers.add(pool.submit(() -> Net.whoami(source, stack.port())));
            }
            List<String> out = new ArrayList<>();
            for (Future<String> f : answers) {
                out.add(f.get(30, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
