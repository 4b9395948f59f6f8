package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + backend.port()).set("listeners.l.idle-timeout", "300ms")
                .start();
             Socket s = proxy.connect()) {
            assertThat(Sockets.whoami(s)).isEqualTo("a");
            // Then nothing either way: the client sees EOF and the backend's connection is closed too.
            assertThat(Sockets.closedByPeer(s)).isTrue();
            await().until(() -> backend.activeConnections() == 0);
            await().until(() -> proxy.metrics().closedCount("IDLE_TIMEOUT") == 1.0);
        }
    }

    @Test
    void trafficKeepsAConnectionAlivePastTheIdleTimeout() throws Exception {
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + backend.port()).set("listeners.l.idle-timeout", "500ms")
                .start();
             Socket s = proxy.connect()) {
            long until = System.nanoTime() + Duration.ofMillis(1500).toNanos();
            int rounds = 0;
            while (System.nanoTime() < until) {
                assertThat(Sockets.whoami(s)).isEqualTo("a");
                rounds++;
                // Pause well under the idle timeout between requests.
                await().pollDelay(Duration.ofMillis(100)).until(() -> true);
            }
            assertThat(rounds).isGreaterThan(3);
            assertThat(proxy.metrics().closedCount("IDLE_TIMEOUT")).isZero();
        }
    }

    @Test
    void bytesFromTheBackendAloneKeepAConnectionAlive() throws Exception {
        // A backend that only talks (a feed): the client never sends, yet the connection is not idle.
        try (ServerSocket feed = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
            AtomicBoolean talking = new AtomicBoolean(true);
            try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + feed.getLocalPort())
                    .set("listeners.l.idle-timeout", "400ms").start();
                 Socket s = proxy.connect();
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
                assertThat(proxy.metrics().closedCount("IDLE_TIMEOUT")).isZero();
                // The feed stops: now the connection is idle and closes.
                talking.set(false);
                while (s.getInputStream().read() == 'x') {
                    // what was in flight
                }
                await().until(() -> proxy.metrics().closedCount("IDLE_TIMEOUT") == 1.0);
            } finally {
                ticker.shutdownNow();
            }
        }
    }

    @Test
    void eachListenerKeepsItsOwnIdleTimeout() throws Exception {
        // Two listeners on one event loop, 300 ms and 1 h: the short one closes, the long one does not.
        TestConfig config = TestConfig.to("127.0.0.1:" + backend.port()).set("event-loop-threads", 1)
                .set("listeners.l.idle-timeout", "300ms")
                .listener("long", "p").set("listeners.long.idle-timeout", "1h");
        try (RunningWeir proxy = config.start();
             Socket shortLived = Sockets.connect(proxy.address("l"));
             Socket longLived = Sockets.connect(proxy.address("long"))) {
            assertThat(Sockets.whoami(shortLived)).isEqualTo("a");
            assertThat(Sockets.whoami(longLived)).isEqualTo("a");
            assertThat(Sockets.closedByPeer(shortLived)).isTrue();
            // Counted once the connection has finished, just after the client sees the close.
            await().until(() -> proxy.metrics().closedCount("IDLE_TIMEOUT") == 1.0);
            assertThat(Sockets.whoami(longLived)).isEqualTo("a");
            assertThat(proxy.metrics().closedCount("IDLE_TIMEOUT")).isEqualTo(1.0);
        }
    }

    @Test
    void maxConnectionsRefusesTheExcessAndKeepsServingTheRest() throws Exception {
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + backend.port()).set("listeners.l.max-connections", 5)
                .start()) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) {
                    Socket s = proxy.connect();
                    held.add(s);
                    assertThat(Sockets.whoami(s)).isEqualTo("a");
                }
                // Refused with an RST: seen at connect or at the first read, depending on timing.
                try (Socket extra = proxy.connect()) {
                    assertThat(Sockets.closedByPeer(extra)).isTrue();
                } catch (java.net.SocketException reset) {
                    assertThat(reset).hasMessageContaining("reset");
                }
                await().until(() -> proxy.metrics().closedCount("CONNECTION_LIMIT") == 1.0);
                for (Socket s : held) {
                    assertThat(Sockets.whoami(s)).as("the connections within the limit still work").isEqualTo("a");
                }
                held.remove(0).close();
                await().until(() -> proxy.weir().activeConnections() == 4);
                try (Socket next = proxy.connect()) {
                    assertThat(Sockets.whoami(next)).isEqualTo("a");
                }
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }
}
