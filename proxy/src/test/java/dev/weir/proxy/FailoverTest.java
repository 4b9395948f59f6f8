package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
        int dead = Sockets.closedPort();
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + a.port(), "127.0.0.1:" + dead, "127.0.0.1:" + b.port())
                .set("pools.p.connect-attempts", 3).start()) {
            Map<String, Integer> served = new HashMap<>();
            for (int i = 0; i < 60; i++) {
                served.merge(proxy.whoami(), 1, Integer::sum);
            }
            assertThat(served).containsOnlyKeys("a", "b");
            assertThat(served.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(60);
            double refused = proxy.metrics().registry().find("weir.connect.failures")
                    .tag("backend", "127.0.0.1:" + dead).tag("cause", "refused").counter().count();
            // Round-robin steps once per pick, retries included: a third of all 60..90 picks hit the dead port.
            assertThat(refused).isBetween(20.0, 30.0);
            assertThat(proxy.metrics().closedCount("CONNECT_FAILED")).isZero();
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void allBackendsDownClosesTheClientWithinTheConnectTimeout() throws Exception {
        int dead1 = Sockets.closedPort();
        int dead2 = Sockets.closedPort();
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + dead1, "127.0.0.1:" + dead2)
                .set("pools.p.connect-timeout", "2s").set("pools.p.connect-attempts", 3).start()) {
            long start = System.nanoTime();
            try (Socket s = proxy.connect()) {
                Sockets.write(s.getOutputStream(), "whoami\n");
                assertThat(Sockets.closedByPeer(s)).isTrue();
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            await().until(() -> proxy.metrics().closedCount("CONNECT_FAILED") == 1.0);
        }
    }

    @Test
    void noEligibleBackendClosesTheClientWithItsOwnReason() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + a.port()).start()) {
            String id = "127.0.0.1:" + a.port();
            proxy.weir().disable("p", id);
            try (Socket s = proxy.connect()) {
                assertThat(Sockets.closedByPeer(s)).isTrue();
            }
            await().until(() -> proxy.metrics().closedCount("NO_HEALTHY_BACKEND") == 1.0);
            assertThat(a.connectionsAccepted()).isZero();

            proxy.weir().enable("p", id);
            assertThat(proxy.whoami()).isEqualTo("a");
        } finally {
            a.close();
        }
    }
}
