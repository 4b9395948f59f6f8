package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.control.Weir;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Idle timeout and max-connections, as a client sees them. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LimitsTest {

    private static BackendSample backend;

    @BeforeAll
    static void start() throws Exception {
        backend = BackendSample.start("a", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    @Test
    void idleTimeoutClosesBothSides() throws Exception {
        try (Weir weir = Harness.start(Harness.config("auto", "idle-timeout: 300ms", "", "127.0.0.1:" + backend.port()));
             Socket s = Harness.connect(weir)) {
            assertThat(Harness.whoami(s)).isEqualTo("a");
            // Then nothing either way: the client sees EOF and the backend's connection is closed too.
            assertThat(Harness.closedByPeer(s)).isTrue();
            await().until(() -> backend.activeConnections() == 0);
            await().until(() -> weir.metrics().closedCount("IDLE_TIMEOUT") == 1.0);
        }
    }

    @Test
    void trafficKeepsAConnectionAlivePastTheIdleTimeout() throws Exception {
        try (Weir weir = Harness.start(Harness.config("auto", "idle-timeout: 500ms", "", "127.0.0.1:" + backend.port()));
             Socket s = Harness.connect(weir)) {
            long until = System.nanoTime() + Duration.ofMillis(1500).toNanos();
            int rounds = 0;
            while (System.nanoTime() < until) {
                assertThat(Harness.whoami(s)).isEqualTo("a");
                rounds++;
                // Pause well under the idle timeout between requests.
                await().pollDelay(Duration.ofMillis(100)).until(() -> true);
            }
            assertThat(rounds).isGreaterThan(3);
            assertThat(weir.metrics().closedCount("IDLE_TIMEOUT")).isZero();
        }
    }

    @Test
    void bytesFromTheBackendAloneKeepAConnectionAlive() throws Exception {
        // A backend that only talks (a feed): the client never sends, yet the connection is not idle.
        try (ServerSocket feed = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
            AtomicBoolean talking = new AtomicBoolean(true);
            try (Weir weir = Harness.start(Harness.config("auto", "idle-timeout: 400ms", "", "127.0.0.1:" + feed.getLocalPort()));
                 Socket s = Harness.connect(weir);
                 Socket server = feed.accept()) {
                ticker.scheduleAtFixedRate(() -> {
                    if (talking.get()) {
                        try {
                            server.getOutputStream().write('x');
                        } catch (IOException closed) {
                            talking.set(false);
                        }
                    }
                }, 0, 100, TimeUnit.MILLISECONDS);
                s.setSoTimeout(10_000);
                int got = 0;
                long until = System.nanoTime() + Duration.ofMillis(1500).toNanos();
                while (System.nanoTime() < until) {
                    assertThat(s.getInputStream().read()).isEqualTo('x');
                    got++;
                }
                assertThat(got).isGreaterThan(8);
                assertThat(weir.metrics().closedCount("IDLE_TIMEOUT")).isZero();
                // The feed stops: now the connection is idle and closes.
                talking.set(false);
                while (s.getInputStream().read() == 'x') {
                    // what was in flight
                }
                await().until(() -> weir.metrics().closedCount("IDLE_TIMEOUT") == 1.0);
            } finally {
                ticker.shutdownNow();
            }
        }
    }

    @Test
    void eachListenerKeepsItsOwnIdleTimeout() throws Exception {
        // Two listeners on one event loop, 300 ms and 1 h: the short one closes, the long one does not.
        String yaml = Harness.config("auto", "idle-timeout: 300ms", "", "127.0.0.1:" + backend.port())
                .replace("event-loop-threads: 2", "event-loop-threads: 1")
                .replace("listeners:\n", "listeners:\n  long:\n    bind: 127.0.0.1:0\n    pool: p\n    idle-timeout: 1h\n");
        try (Weir weir = Harness.start(yaml);
             Socket shortLived = Harness.connect(weir.listenerAddress("l"));
             Socket longLived = Harness.connect(weir.listenerAddress("long"))) {
            assertThat(Harness.whoami(shortLived)).isEqualTo("a");
            assertThat(Harness.whoami(longLived)).isEqualTo("a");
            assertThat(Harness.closedByPeer(shortLived)).isTrue();
            // Counted once the connection has finished, just after the client sees the close.
            await().until(() -> weir.metrics().closedCount("IDLE_TIMEOUT") == 1.0);
            assertThat(Harness.whoami(longLived)).isEqualTo("a");
            assertThat(weir.metrics().closedCount("IDLE_TIMEOUT")).isEqualTo(1.0);
        }
    }

    @Test
    void maxConnectionsRefusesTheExcessAndKeepsServingTheRest() throws Exception {
        try (Weir weir = Harness.start(Harness.config("auto", "max-connections: 5", "", "127.0.0.1:" + backend.port()))) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) {
                    Socket s = Harness.connect(weir);
                    held.add(s);
                    assertThat(Harness.whoami(s)).isEqualTo("a");
                }
                // Refused with an RST: seen at connect or at the first read, depending on timing.
                try (Socket extra = Harness.connect(weir)) {
                    assertThat(Harness.closedByPeer(extra)).isTrue();
                } catch (java.net.SocketException reset) {
                    assertThat(reset).hasMessageContaining("reset");
                }
                await().until(() -> weir.metrics().closedCount("CONNECTION_LIMIT") == 1.0);
                for (Socket s : held) {
                    assertThat(Harness.whoami(s)).as("the connections within the limit still work").isEqualTo("a");
                }
                held.remove(0).close();
                await().until(() -> weir.activeConnections() == 4);
                try (Socket next = Harness.connect(weir)) {
                    assertThat(Harness.whoami(next)).isEqualTo("a");
                }
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }
}
