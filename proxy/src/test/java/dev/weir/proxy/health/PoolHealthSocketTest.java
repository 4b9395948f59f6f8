package dev.weir.proxy.health;

import static dev.weir.proxy.health.Checks.backend;
import static dev.weir.proxy.health.Checks.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.config.HealthCheckConfig;
import dev.weir.proxy.transport.Transport;
import dev.weir.sample.BackendSample;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** PoolHealth as the proxy builds it: real probes on a real event loop, short real intervals. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PoolHealthSocketTest {

    private static final int INTERVAL = 100;
    private static final int TIMEOUT = 500;

    private final Events events = new Events();
    private EventLoopGroup group;
    private EventLoop loop;
    private PoolHealth health;

    @BeforeEach
    void startLoop() {
        group = Transport.NIO.newGroup(1, "health-test");
        loop = group.next();
    }

    @AfterEach
    void stopLoop() {
        if (health != null) {
            health.close();
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private PoolHealth health(HealthCheckConfig active) {
        health = events.track(new PoolHealth("web", active, null, loop, Transport.NIO, events));
        return health;
    }

    /** Waits until every task queued on the loop so far has run. */
    private void roundTrip() throws Exception {
        loop.submit(() -> { }).get(5, TimeUnit.SECONDS);
    }

    @Test
    void tcpChecksFollowTheBackendDownAndBackUp() throws Exception {
        BackendSample sample = BackendSample.start("alpha", "127.0.0.1", 0, null);
        int port = sample.port();
        Backend b = backend("127.0.0.1", port);
        try {
            health(tcp(INTERVAL, TIMEOUT, 2, 3)).add(b, true);
            await().atMost(5, TimeUnit.SECONDS).until(() -> health.status(b).consecutivePasses() >= 3);
            assertThat(health.isHealthy(b)).isTrue();
            assertThat(events.list).isEmpty();
        } finally {
            sample.close();
        }
        long closed = System.nanoTime();
        // fall × interval + timeout, plus room for a slow machine's scheduling.
        await().atMost(Duration.ofMillis(3 * INTERVAL + TIMEOUT + 1000)).until(() -> !events.list.isEmpty());
        assertThat(Duration.ofNanos(System.nanoTime() - closed)).isLessThan(Duration.ofMillis(3 * INTERVAL + TIMEOUT + 1000));
        assertThat(events.list).singleElement().satisfies(e -> {
            assertThat(e.healthy()).isFalse();
            assertThat(e.cause()).contains("refused");
            assertThat(e.status().consecutiveFailures()).as("exactly fall failures").isEqualTo(3);
        });
        assertThat(health.isHealthy(b)).isFalse();

        BackendSample again = BackendSample.start("alpha-again", "127.0.0.1", port, null);
        try {
            await().atMost(5, TimeUnit.SECONDS).until(() -> events.list.size() == 2);
            assertThat(events.last().healthy()).isTrue();
            assertThat(events.last().status().consecutivePasses()).as("exactly rise passes").isEqualTo(2);
            assertThat(health.isHealthy(b)).isTrue();
        } finally {
            health.close();
            again.close();
        }
    }

    @Test
    void checksGoToTheSidePortWhenOneIsSet() throws Exception {
        BackendSample traffic = BackendSample.start("traffic", "127.0.0.1", 0, null);
        BackendSample admin = BackendSample.start("admin", "127.0.0.1", 0, null);
        try {
            Backend b = backend("127.0.0.1", traffic.port());
            health(Checks.withPort(tcp(INTERVAL, TIMEOUT, 2, 3), admin.port())).add(b, false);
            await().atMost(5, TimeUnit.SECONDS).until(() -> health.isHealthy(b));
            await().atMost(5, TimeUnit.SECONDS).until(() -> admin.connectionsAccepted() >= 3);
            assertThat(traffic.connectionsAccepted()).isZero();

            admin.close();
            // The state is published before the listener hears of it: wait for the DOWN event itself.
            await().atMost(5, TimeUnit.SECONDS).until(() -> !events.list.isEmpty() && !events.last().healthy());
            assertThat(health.isHealthy(b)).isFalse();
            assertThat(events.last().cause()).isEqualTo("connection refused");
        } finally {
            health.close();
            traffic.close();
            admin.close();
        }
    }

    @Test
    void aBackendAddedAtRuntimeIsProbedAtOnce() throws Exception {
        BackendSample sample = BackendSample.start("alpha", "127.0.0.1", 0, null);
        try {
            Backend b = backend("127.0.0.1", sample.port());
            health(tcp(30_000, TIMEOUT, 2, 3)).add(b, false);
            // It starts DOWN: coming UP is a change, reported once (checking isHealthy() right after
            // add would race the first probe, which runs at once on loopback).
            await().atMost(5, TimeUnit.SECONDS).until(() -> health.isHealthy(b));
            assertThat(events.states()).containsExactly(true);
            await().atMost(5, TimeUnit.SECONDS).until(() -> sample.connectionsAccepted() == 1);
        } finally {
            health.close();
            sample.close();
        }
    }

    @Test
    void updateSwitchesToTheNewIntervalAndKeepsState() throws Exception {
        BackendSample sample = BackendSample.start("alpha", "127.0.0.1", 0, null);
        try {
            Backend b = backend("127.0.0.1", sample.port());
            health(tcp(30_000, TIMEOUT, 2, 3)).add(b, false);
            await().atMost(5, TimeUnit.SECONDS).until(() -> health.isHealthy(b));
            // The next probe is 30s away.
            await().atMost(5, TimeUnit.SECONDS).until(() -> sample.connectionsAccepted() == 1);

            health.update(tcp(INTERVAL, TIMEOUT, 2, 3), null);
            await().atMost(5, TimeUnit.SECONDS).until(() -> sample.connectionsAccepted() >= 5);
            assertThat(health.isHealthy(b)).isTrue();
            assertThat(health.status(b).consecutivePasses()).isGreaterThanOrEqualTo(4);
            assertThat(events.states()).containsExactly(true);
        } finally {
            health.close();
            sample.close();
        }
    }

    @Test
    void removeStopsProbingTheBackend() throws Exception {
        BackendSample sample = BackendSample.start("alpha", "127.0.0.1", 0, null);
        BackendSample other = BackendSample.start("beta", "127.0.0.1", 0, null);
        try {
            Backend b = backend("127.0.0.1", sample.port());
            Backend kept = backend("127.0.0.1", other.port());
            health(tcp(INTERVAL / 2, TIMEOUT, 2, 3));
            health.add(b, true);
            health.add(kept, true);
            await().atMost(5, TimeUnit.SECONDS).until(() -> sample.connectionsAccepted() >= 3);

            health.remove(b);
            roundTrip();
            await().atMost(5, TimeUnit.SECONDS).until(() -> sample.activeConnections() == 0);
            long accepted = sample.connectionsAccepted();
            long otherBefore = other.connectionsAccepted();
            await().during(Duration.ofMillis(10 * INTERVAL / 2)).atMost(5, TimeUnit.SECONDS)
                    .until(() -> sample.connectionsAccepted() == accepted);
            assertThat(other.connectionsAccepted()).as("the other backend is still probed").isGreaterThan(otherBefore);
            assertThat(health.status(b)).isNull();
        } finally {
            health.close();
            sample.close();
            other.close();
        }
    }

    @Test
    void closeStopsEveryProbeAndLeavesNoConnectionOpen() throws Exception {
        BackendSample sample = BackendSample.start("alpha", "127.0.0.1", 0, null);
        // A backend that never answers keeps a send-expect probe in flight when close() comes.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Backend b = backend("127.0.0.1", sample.port());
            Backend mute = backend("127.0.0.1", silent.getLocalPort());
            health(Checks.withInterval(Checks.sendExpect("whoami\n", "alpha", 20_000), INTERVAL / 2));
            health.add(b, false);
            health.add(mute, false);
            await().atMost(5, TimeUnit.SECONDS).until(() -> sample.connectionsAccepted() >= 3);

            health.close();
            roundTrip();
            await().atMost(5, TimeUnit.SECONDS).until(() -> sample.activeConnections() == 0);
            long accepted = sample.connectionsAccepted();
            await().during(Duration.ofMillis(10 * INTERVAL / 2)).atMost(5, TimeUnit.SECONDS)
                    .until(() -> sample.connectionsAccepted() == accepted);
            assertThat(health.isHealthy(b)).isTrue();
            assertThat(health.isHealthy(mute)).as("its only probe was aborted").isFalse();
        } finally {
            sample.close();
        }
    }
}
