package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.api.BackendStatus;
import dev.weir.proxy.backend.BackendState;
import dev.weir.sample.BackendSample;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Health checks and passive ejection as clients see them: a dead backend stops getting clients. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthIntegrationTest {

    private static BackendStatus status(RunningWeir proxy, int port) {
        return proxy.weir().backends("p").stream().filter(s -> s.id().equals("127.0.0.1:" + port)).findFirst().orElseThrow();
    }

    private static double connectFailures(RunningWeir proxy, int port) {
        var c = proxy.metrics().registry().find("weir.connect.failures").tag("backend", "127.0.0.1:" + port).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aKilledBackendGoesDownIsAvoidedAndComesBackWhenRestarted() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        BackendSample b = BackendSample.start("b", "127.0.0.1", 0, null);
        int portA = a.port();
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + portA, "127.0.0.1:" + b.port())
                .pool("p", p -> p.healthCheck("tcp", "interval", "200ms", "timeout", "100ms", "rise", 2, "fall", 2,
                        "jitter", "0%"))
                .start()) {
            assertThat(status(proxy, portA).state()).isEqualTo(BackendState.UP);
            a.close();
            long killed = System.nanoTime();
            // fall x interval + timeout = 500ms; allow scheduling slack on a loaded CI machine.
            await().atMost(Duration.ofSeconds(3)).until(() -> status(proxy, portA).state() == BackendState.DOWN);
            assertThat(Duration.ofNanos(System.nanoTime() - killed)).isLessThan(Duration.ofSeconds(3));
            assertThat(status(proxy, portA).health().consecutiveFailures()).isGreaterThanOrEqualTo(2);
            double failuresAtDown = connectFailures(proxy, portA);
            for (int i = 0; i < 20; i++) {
                assertThat(proxy.whoami()).isEqualTo("b");
            }
            assertThat(connectFailures(proxy, portA)).as("no client was sent to the DOWN backend").isEqualTo(failuresAtDown);

            BackendSample again = BackendSample.start("a2", "127.0.0.1", portA, null);
            try {
                await().atMost(Duration.ofSeconds(3)).until(() -> status(proxy, portA).state() == BackendState.UP);
                boolean sawA2 = false;
                for (int i = 0; i < 6 && !sawA2; i++) {
                    sawA2 = proxy.whoami().equals("a2");
                }
                assertThat(sawA2).isTrue();
            } finally {
                again.close();
            }
        } finally {
            b.close();
        }
    }

    @Test
    void passiveEjectionAfterThreeFailedConnectsWithoutClientFailures() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        int dead = Sockets.closedPort();
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + a.port(), "127.0.0.1:" + dead)
                .set("pools.p.passive", TestConfig.map("consecutive-failures", 3, "eject-for", "30s"))
                .set("pools.p.connect-attempts", 2).start()) {
            for (int i = 0; i < 30; i++) {
                assertThat(proxy.whoami()).isEqualTo("a");
                // A barrier, as a user's next request after a moment would be: the connection's failed connect was
                // handed to the control thread before its retry answered, and listing the backends runs after it.
                proxy.weir().backends("p");
            }
            assertThat(status(proxy, dead).state()).isEqualTo(BackendState.DOWN);
            assertThat(connectFailures(proxy, dead)).as("ejected after exactly 3 failed connects").isEqualTo(3.0);
            assertThat(proxy.metrics().closedCount("CONNECT_FAILED")).isZero();
        } finally {
            a.close();
        }
    }

    @Test
    void sendExpectCheckMarksAMuteBackendDown() throws Exception {
        // A server that accepts but never answers: the TCP connect passes, send-expect times out.
        try (java.net.ServerSocket mute = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            BackendSample b = BackendSample.start("b", "127.0.0.1", 0, null);
            try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + mute.getLocalPort(), "127.0.0.1:" + b.port())
                    .pool("p", p -> p.healthCheck("send-expect", "send", "whoami\n", "expect", "b", "interval", "200ms",
                            "timeout", "100ms", "rise", 1, "fall", 2))
                    .start()) {
                await().atMost(Duration.ofSeconds(3)).until(() -> status(proxy, mute.getLocalPort()).state() == BackendState.DOWN);
                assertThat(status(proxy, mute.getLocalPort()).health().lastCause()).isEqualTo("timed out after 100ms");
                assertThat(status(proxy, b.port()).state()).isEqualTo(BackendState.UP);
                for (int i = 0; i < 5; i++) {
                    assertThat(proxy.whoami()).isEqualTo("b");
                }
            } finally {
                b.close();
            }
        }
    }

    @Test
    void closeOnDownClosesLiveConnectionsOfABackendThatGoesDown() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        // Health is checked on a side port: closing it marks the backend DOWN while its traffic port still works.
        java.net.ServerSocket side = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        TestConfig config = TestConfig.to("127.0.0.1:" + a.port()).pool("p", p -> p
                .healthCheck("tcp", "port", side.getLocalPort(), "interval", "200ms", "timeout", "100ms", "rise", 1, "fall", 1)
                .set("close-on-down", true));
        try (RunningWeir proxy = config.start();
             java.net.Socket client = proxy.connect()) {
            assertThat(Sockets.whoami(client)).isEqualTo("a");
            side.close();
            await().atMost(Duration.ofSeconds(3)).until(() -> status(proxy, a.port()).state() == BackendState.DOWN);
            assertThat(Sockets.closedByPeer(client)).isTrue();
            await().until(() -> proxy.metrics().closedCount("BACKEND_DOWN") == 1.0);
        } finally {
            side.close();
            a.close();
        }
    }
}
