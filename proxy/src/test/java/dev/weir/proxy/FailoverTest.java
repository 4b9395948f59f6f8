package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.control.Weir;
import dev.weir.sample.BackendSample;
import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A backend that refuses connections costs a client nothing; no backend at all closes the client with a reason. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FailoverTest {

    @Test
    void aClosedBackendPortIsRetriedOnAnotherBackend() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        BackendSample b = BackendSample.start("b", "127.0.0.1", 0, null);
        int dead = Harness.closedPort();
        try (Weir weir = Harness.start(Harness.config("auto", "", "connect-attempts: 3",
                "127.0.0.1:" + a.port(), "127.0.0.1:" + dead, "127.0.0.1:" + b.port()))) {
            Map<String, Integer> served = new HashMap<>();
            for (int i = 0; i < 60; i++) {
                served.merge(Harness.whoami(weir), 1, Integer::sum);
            }
            assertThat(served).containsOnlyKeys("a", "b");
            assertThat(served.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(60);
            double refused = weir.metrics().registry().find("weir.connect.failures")
                    .tag("backend", "127.0.0.1:" + dead).tag("cause", "refused").counter().count();
            // Round-robin steps once per pick, retries included: a third of all 60..90 picks hit the dead port.
            assertThat(refused).isBetween(20.0, 30.0);
            assertThat(weir.metrics().closedCount("CONNECT_FAILED")).isZero();
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void allBackendsDownClosesTheClientWithinTheConnectTimeout() throws Exception {
        int dead1 = Harness.closedPort();
        int dead2 = Harness.closedPort();
        try (Weir weir = Harness.start(Harness.config("auto", "", "connect-timeout: 2s\nconnect-attempts: 3",
                "127.0.0.1:" + dead1, "127.0.0.1:" + dead2))) {
            long start = System.nanoTime();
            try (Socket s = Harness.connect(weir)) {
                Harness.write(s.getOutputStream(), "whoami\n");
                assertThat(Harness.closedByPeer(s)).isTrue();
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            await().until(() -> weir.metrics().closedCount("CONNECT_FAILED") == 1.0);
        }
    }

    @Test
    void noEligibleBackendClosesTheClientWithItsOwnReason() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        try (Weir weir = Harness.start(Harness.config("auto", "", "", "127.0.0.1:" + a.port()))) {
            String id = "127.0.0.1:" + a.port();
            weir.disable("p", id);
            try (Socket s = Harness.connect(weir)) {
                assertThat(Harness.closedByPeer(s)).isTrue();
            }
            await().until(() -> weir.metrics().closedCount("NO_HEALTHY_BACKEND") == 1.0);
            assertThat(a.connectionsAccepted()).isZero();

            weir.enable("p", id);
            assertThat(Harness.whoami(weir)).isEqualTo("a");
        } finally {
            a.close();
        }
    }
}
