package dev.weir.proxy.health;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.config.HealthCheckConfig;
import dev.weir.proxy.config.PassiveConfig;
import dev.weir.proxy.health.HealthState.Transition;
import dev.weir.proxy.transport.Transport;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Health of the backends of one pool: active probes every {@code interval} ± jitter with
 * {@code rise}/{@code fall} thresholds, and passive ejection on connect failures of real traffic.
 *
 * <p>All state lives on one thread (the proxy's control thread; in tests an event loop or a manual
 * clock): no threads of its own, no locks on I/O. Probes run on an I/O event loop and report back to
 * that thread. Public methods may be called from any thread and hop to it; {@link #isHealthy} and
 * {@link #status} read a snapshot published by it. The listener runs on that thread, once per change;
 * it is not called for the state a backend starts in (read {@link #isHealthy} after {@link #add}).
 */
public final class PoolHealth implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PoolHealth.class);

    /** Told of every change of a backend's health, on the health loop. */
    public interface Listener {
        /** @param cause why it went DOWN; null when it came UP */
        void healthChanged(Backend b, boolean healthy, String cause);

        /** Every active probe's result (metrics); on the health loop. */
        default void probed(Backend b, boolean ok, long durationMillis) {
        }
    }

    // Package-private for BackendHealth, which does the per-backend work on the loop.
    final String pool;
    final Scheduler scheduler;
    final Prober prober;
    final Listener listener;
    final DoubleSupplier random;
    private final Map<Backend, BackendHealth> backends = new ConcurrentHashMap<>();
    // Written by update() on the caller's thread, so an add() right after it sees the new settings.
    private volatile HealthCheckConfig active;
    private volatile PassiveConfig passive;
    private volatile boolean closed;

    /**
     * @param active  active checks; null = off (backends count as healthy unless passively ejected)
     * @param passive passive ejection; null = off
     * @param loop    where all health state lives and every probe runs
     */
    public PoolHealth(String pool, HealthCheckConfig active, PassiveConfig passive, EventLoop loop,
                      Transport transport, Listener listener) {
        this(pool, active, passive, Scheduler.of(loop), new SocketProber(loop, transport), listener,
                () -> ThreadLocalRandom.current().nextDouble());
    }

    /**
     * Health state on {@code stateThread} (the proxy's control thread: verdicts then change the pool there, without
     * a hop), probes on the I/O loop {@code probeLoop}.
     */
    public PoolHealth(String pool, HealthCheckConfig active, PassiveConfig passive, EventExecutor stateThread,
                      EventLoop probeLoop, Transport transport, Listener listener) {
        this(pool, active, passive, Scheduler.of(stateThread), new SocketProber(probeLoop, transport), probeLoop, listener);
    }

    private PoolHealth(String pool, HealthCheckConfig active, PassiveConfig passive, Scheduler state,
                       SocketProber probes, EventLoop probeLoop, Listener listener) {
        this(pool, active, passive, state, new LoopProber(probes, probeLoop, state), listener,
                () -> ThreadLocalRandom.current().nextDouble());
    }

    PoolHealth(String pool, HealthCheckConfig active, PassiveConfig passive, Scheduler scheduler, Prober prober,
               Listener listener, DoubleSupplier random) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.active = active;
        this.passive = passive;
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.prober = Objects.requireNonNull(prober, "prober");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.random = random;
    }

    /**
     * Starts tracking {@code b}. With {@code startHealthy} (backends present at start) it is UP until
     * {@code fall} probes fail; its first probe comes after a random part of one interval, so a big
     * pool's probes spread out. Without (added at runtime to a pool with active checks) it is DOWN
     * until its first passing probe, which runs at once. Without active checks it is always healthy
     * at add.
     */
    public void add(Backend b, boolean startHealthy) {
        boolean healthy = startHealthy || active == null;
        BackendHealth t = new BackendHealth(this, b, new HealthState(healthy));
        BackendHealth old = backends.put(b, t);
        onLoop(() -> {
            if (old != null) {
                old.stop();
            }
            start(t, startHealthy);
        });
    }

    /** Stops probing {@code b} and forgets its state. */
    public void remove(Backend b) {
        BackendHealth t = backends.remove(b);
        if (t != null) {
            onLoop(t::stop);
        }
    }

    /**
     * Reload: new settings; counters and state of existing backends are kept. Probes are rescheduled
     * with the new interval (the next one after a random part of it, keeping probes spread). When
     * active checks are switched off, a DOWN backend that nothing would bring back becomes UP.
     */
    public void update(HealthCheckConfig newActive, PassiveConfig newPassive) {
        HealthCheckConfig oldActive = this.active;
        PassiveConfig oldPassive = this.passive;
        this.active = newActive;
        this.passive = newPassive;
        onLoop(() -> {
            if (closed) {
                return;
            }
            for (BackendHealth t : backends.values()) {
                t.reconfigure(oldActive, newActive, oldPassive, newPassive);
            }
        });
    }

    /** False for a backend that was never added or was removed. */
    public boolean isHealthy(Backend b) {
        BackendHealth t = backends.get(b);
        return t != null && t.status.healthy();
    }

    /** Null for a backend that was never added or was removed. */
    public HealthStatus status(Backend b) {
        BackendHealth t = backends.get(b);
        return t == null ? null : t.status;
    }

    /** From the data path, on any event loop: a connect of real traffic to {@code b} failed. */
    public void connectFailed(Backend b, String cause) {
        BackendHealth t = backends.get(b);
        if (t == null || passive == null || closed) {
            return;
        }
        t.wantsSuccess = true;
        onLoop(() -> t.connectFailed(cause));
    }

    /** From the data path, on any event loop: a connect of real traffic to {@code b} succeeded. */
    public void connectSucceeded(Backend b) {
        BackendHealth t = backends.get(b);
        // Most connects change nothing; only hop to the health loop when one would.
        if (t == null || !t.wantsSuccess || closed) {
            return;
        }
        onLoop(t::connectSucceeded);
    }

    /** The pool's TLS to its backends, which probes speak too; null for plaintext. */
    public void tls(dev.weir.proxy.tls.ClientTls tls) {
        Prober p = prober instanceof LoopProber onLoop ? onLoop.probes() : prober;
        if (p instanceof SocketProber sp) {
            sp.tls(tls);
        }
    }

    /** The pool's PROXY protocol version, used by checks with {@code proxy-protocol: true}. */
    public void proxyProtocol(dev.weir.proxy.config.ProxyProtocolVersion version) {
        Prober p = prober instanceof LoopProber onLoop ? onLoop.probes() : prober;
        if (p instanceof SocketProber sp) {
            sp.proxyProtocol(version);
        }
    }

    /**
     * Stops every probe and timer. On the health loop this happens before returning; elsewhere no
     * new probe starts once this returns, and probes in flight are aborted on the loop right after.
     */
    @Override
    public void close() {
        closed = true;
        Runnable stopAll = () -> backends.values().forEach(BackendHealth::stop);
        if (scheduler.inLoop()) {
            stopAll.run();
        } else {
            onLoop(stopAll);
        }
    }

    HealthCheckConfig active() {
        return active;
    }

    PassiveConfig passive() {
        return passive;
    }

    boolean closed() {
        return closed;
    }

    private void onLoop(Runnable task) {
        try {
            scheduler.execute(task);
        } catch (RejectedExecutionException e) {
            // The loop is shutting down, closing every channel with it: nothing left to track.
            closed = true;
        }
    }

    private void start(BackendHealth t, boolean startHealthy) {
        if (t.stopped || closed) {
            return;
        }
        HealthCheckConfig a = active;
        if (a == null) {
            // update() switched checks off between add() and now.
            Transition tr = t.state.checksOff();
            t.publish();
            t.report(tr, null);
        } else if (startHealthy) {
            t.scheduleProbe(spread(a));
        } else {
            t.runProbe();
        }
    }

    /** A random part of one interval: spreads the probes of many backends over it. */
    long spread(HealthCheckConfig a) {
        return (long) (random.getAsDouble() * a.interval().toMillis());
    }

    /** {@code interval} lengthened or shortened by up to {@code jitter} of itself; r in [0, 1). */
    static long jittered(long intervalMillis, double jitter, double r) {
        return Math.max(1, Math.round(intervalMillis * (1 + jitter * (2 * r - 1))));
    }

    static InetSocketAddress target(InetSocketAddress address, int port) {
        if (port == 0) {
            return address;
        }
        return address.isUnresolved() ? InetSocketAddress.createUnresolved(address.getHostString(), port)
                : new InetSocketAddress(address.getAddress(), port);
    }
}
