package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.api.BackendStatus;
import dev.weir.proxy.backend.BackendState;
import dev.weir.proxy.control.Weir;
import dev.weir.sample.BackendSample;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Health checks and passive ejection as clients see them: a dead backend stops getting clients. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthIntegrationTest {

    private static BackendStatus status(Weir weir, int port) {
        return weir.backends("p").stream().filter(s -> s.id().equals("127.0.0.1:" + port)).findFirst().orElseThrow();
    }

    private static double connectFailures(Weir weir, int port) {
        var c = weir.metrics().registry().find("weir.connect.failures").tag("backend", "127.0.0.1:" + port).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aKilledBackendGoesDownIsAvoidedAndComesBackWhenRestarted() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        BackendSample b = BackendSample.start("b", "127.0.0.1", 0, null);
        int portA = a.port();
        String pool = """
                health-check: {type: tcp, interval: 200ms, timeout: 100ms, rise: 2, fall: 2, jitter: 0%}
                """;
        try (Weir weir = Harness.start(Harness.config("auto", "", pool, "127.0.0.1:" + portA, "127.0.0.1:" + b.port()))) {
            assertThat(status(weir, portA).state()).isEqualTo(BackendState.UP);
            a.close();
            long killed = System.nanoTime();
            // fall x interval + timeout = 500ms; allow scheduling slack on a loaded CI machine.
            await().atMost(Duration.ofSeconds(3)).until(() -> status(weir, portA).state() == BackendState.DOWN);
            assertThat(Duration.ofNanos(System.nanoTime() - killed)).isLessThan(Duration.ofSeconds(3));
            assertThat(status(weir, portA).health().consecutiveFailures()).isGreaterThanOrEqualTo(2);
            double failuresAtDown = connectFailures(weir, portA);
            for (int i = 0; i < 20; i++) {
                assertThat(Harness.whoami(weir)).isEqualTo("b");
            }
            assertThat(connectFailures(weir, portA)).as("no client was sent to the DOWN backend").isEqualTo(failuresAtDown);

            BackendSample again = BackendSample.start("a2", "127.0.0.1", portA, null);
            try {
                await().atMost(Duration.ofSeconds(3)).until(() -> status(weir, portA).state() == BackendState.UP);
                boolean sawA2 = false;
                for (int i = 0; i < 6 && !sawA2; i++) {
                    sawA2 = Harness.whoami(weir).equals("a2");
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
        int dead = Harness.closedPort();
        String pool = "passive: {consecutive-failures: 3, eject-for: 30s}\nconnect-attempts: 2";
        try (Weir weir = Harness.start(Harness.config("auto", "", pool, "127.0.0.1:" + a.port(), "127.0.0.1:" + dead))) {
            for (int i = 0; i < 30; i++) {
                assertThat(Harness.whoami(weir)).isEqualTo("a");
                // A barrier, as a user's next request after a moment would be: the connection's failed connect was
                // handed to the control thread before its retry answered, and listing the backends runs after it.
                weir.backends("p");
            }
            assertThat(status(weir, dead).state()).isEqualTo(BackendState.DOWN);
            assertThat(connectFailures(weir, dead)).as("ejected after exactly 3 failed connects").isEqualTo(3.0);
            assertThat(weir.metrics().closedCount("CONNECT_FAILED")).isZero();
        } finally {
            a.close();
        }
    }

    @Test
    void sendExpectCheckMarksAMuteBackendDown() throws Exception {
        // A server that accepts but never answers: the TCP connect passes, send-expect times out.
        try (java.net.ServerSocket mute = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            BackendSample b = BackendSample.start("b", "127.0.0.1", 0, null);
            String pool = """
                    health-check: {type: send-expect, send: "whoami\\n", expect: "b", interval: 200ms, timeout: 100ms, rise: 1, fall: 2}
                    """;
            try (Weir weir = Harness.start(Harness.config("auto", "", pool,
                    "127.0.0.1:" + mute.getLocalPort(), "127.0.0.1:" + b.port()))) {
                await().atMost(Duration.ofSeconds(3)).until(() -> status(weir, mute.getLocalPort()).state() == BackendState.DOWN);
                assertThat(status(weir, mute.getLocalPort()).health().lastCause()).contains("timeout");
                assertThat(status(weir, b.port()).state()).isEqualTo(BackendState.UP);
                for (int i = 0; i < 5; i++) {
                    assertThat(Harness.whoami(weir)).isEqualTo("b");
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
        String pool = """
                health-check: {type: tcp, port: %d, interval: 200ms, timeout: 100ms, rise: 1, fall: 1}
                close-on-down: true
                """.formatted(side.getLocalPort());
        try (Weir weir = Harness.start(Harness.config("auto", "", pool, "127.0.0.1:" + a.port()));
             java.net.Socket client = Harness.connect(weir)) {
            assertThat(Harness.whoami(client)).isEqualTo("a");
            side.close();
            await().atMost(Duration.ofSeconds(3)).until(() -> status(weir, a.port()).state() == BackendState.DOWN);
            assertThat(Harness.closedByPeer(client)).isTrue();
            await().until(() -> weir.metrics().closedCount("BACKEND_DOWN") == 1.0);
        } finally {
            side.close();
            a.close();
        }
    }
}
