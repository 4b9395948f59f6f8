package dev.weir.proxy.backend;

import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.config.Units;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backends of one pool, their states, and the immutable snapshot the data path reads: the
 * backends eligible for new connections and a balancer built for exactly them. Every membership
 * or state change publishes a new snapshot through one volatile reference; the data path never
 * locks.
 *
 * <p>Thread rule: every change runs on the control executor given to the constructor (asserted), and so do the
 * drain deadlines; readers ({@link #snapshot}, {@link #members}, {@link #backend}, {@link #byKey}) may run on any
 * thread. When a removed backend's last connection ends on an event loop, its removal is handed to the control
 * executor instead of taking a lock.
 */
public final class BackendPool {

    private static final Logger log = LoggerFactory.getLogger(BackendPool.class);

    /** What the data path sees: eligible backends and their balancer, never mutated. */
    public record Snapshot(List<Backend> eligible, Balancer balancer) {
    }

    private final String name;
    private final EventExecutor control;
    private final Balancer.Factory balancers;
    private final Map<Backend, ScheduledFuture<?>> drainTimers = new HashMap<>();
    private volatile PoolConfig config;
    private volatile List<Backend> members = List.of();
    private volatile Snapshot snapshot;
    /** The last balancer built for a non-empty pool: an ip-hash table is reused while members and weights stay. */
    private Balancer lastBuilt;
    private volatile Consumer<Backend> onForgotten = b -> { };
    private volatile ConnectFeedback feedback = ConnectFeedback.NONE;
    private volatile Consumer<Backend> onChange = b -> { };

    /**
     * @param control where every change and the drain deadlines run (the proxy's control thread)
     * @param balancers builds the balancer of each snapshot ({@code Balancers::create})
     */
    public BackendPool(PoolConfig config, List<Backend> backends, EventExecutor control, Balancer.Factory balancers) {
        this.name = config.name();
        this.balancers = balancers;
        this.config = config;
        this.control = control;
        this.members = List.copyOf(backends);
        rebuild();
    }

    public String name() {
        return name;
    }

    /** The pool's current settings (connect-timeout, attempts, drain...); replaced on reload. */
    public PoolConfig config() {
        return config;
    }

    /** Called after a removed backend's last connection ended and it left the pool. */
    public void onForgotten(Consumer<Backend> callback) {
        this.onForgotten = callback;
    }

    /**
     * Called after a backend joined, changed state or left (the warm pool follows). Runs on the
     * control thread; must not block.
     */
    public void onChange(Consumer<Backend> callback) {
        this.onChange = callback;
    }

    /** Where connect results of real traffic go (passive health). */
    public ConnectFeedback feedback() {
        return feedback;
    }

    public void feedback(ConnectFeedback feedback) {
        this.feedback = feedback;
    }

    /** Every backend in the pool, whatever its state (removed ones until their last connection ends). */
    public List<Backend> members() {
        return members;
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    /**
     * Finds a member by id ({@code name} or {@code host:port}); null when absent. A backend removed and added again
     * is briefly there twice, the old one still draining: the one in service wins.
     */
    public Backend backend(String id) {
        Backend leaving = null;
        for (Backend b : members) {
            if (b.id().equals(id)) {
                if (!b.removed()) {
                    return b;
                }
                leaving = b;
            }
        }
        return leaving;
    }

    /**
     * Finds a member by id or by {@code host:port} as configured, so a named backend answers to both (a name holds no
     * {@code :}, an address always does, so the two never clash); null when absent. The one in service wins.
     */
    public Backend find(String idOrAddress) {
        Backend b = backend(idOrAddress);
        if (b != null) {
            return b;
        }
        Backend leaving = null;
        for (Backend m : members) {
            if (m.key().equals(idOrAddress)) {
                if (!m.removed()) {
                    return m;
                }
                leaving = m;
            }
        }
        return leaving;
    }

    /** Finds a member that is not removed by its key ({@code host:port} as configured); null when absent. */
    public Backend byKey(String key) {
        for (Backend b : members) {
            if (b.key().equals(key) && !b.removed()) {
                return b;
            }
        }
        return null;
    }

    /** New settings from a reload: balance, timeouts, drain windows. Members are changed separately. */
    public void update(PoolConfig config) {
        assert control.inEventLoop() : "pool changes run on the control thread";
        this.config = config;
        rebuild();
    }

    /** Adds a backend; {@code healthy} false keeps it DOWN until its health checks pass. */
    public void add(Backend b, boolean healthy) {
        assert control.inEventLoop() : "pool changes run on the control thread";
        b.healthy(healthy);
        List<Backend> next = new ArrayList<>(members);
        next.add(b);
        members = List.copyOf(next);
        rebuild();
        log.info("backend added backend={}/{} address={} weight={} state={}", name, b.id(), b.key(), b.weight(), b.state());
        onChange.accept(b);
    }

    /** Drains {@code b}, then forgets it once its last connection has ended. */
    public void remove(Backend b) {
        assert control.inEventLoop() : "pool changes run on the control thread";
        if (b.removed()) {
            return;
        }
        // The last connection ends on its event loop, which hands the removal over rather than lock.
        boolean idle = b.markRemoved(() -> onControl(() -> forget(b)));
        startDrain(b);
        log.info("backend removed backend={}/{} live_connections={}", name, b.id(), b.activeConnections());
        if (idle) {
            forget(b);
        }
    }

    private void forget(Backend b) {
        if (!members.contains(b)) {
            return;
        }
        List<Backend> next = new ArrayList<>(members);
        next.remove(b);
        members = List.copyOf(next);
        cancelDrainTimer(b);
        rebuild();
        log.info("backend gone backend={}/{}", name, b.id());
        onForgotten.accept(b);
        onChange.accept(b);
    }

    /** No new connections; live ones end by themselves or at drain-timeout, spread over close-spread. */
    public void drain(Backend b) {
        assert control.inEventLoop() : "pool changes run on the control thread";
        if (b.admin() != AdminState.DRAINING) {
            startDrain(b);
            log.info("backend draining backend={}/{} live_connections={} drain_timeout={}",
                    name, b.id(), b.liveConnections().size(), Units.formatDuration(config.drainTimeout()));
        }
    }

    public void disable(Backend b) {
        assert control.inEventLoop() : "pool changes run on the control thread";
        cancelDrainTimer(b);
        b.admin(AdminState.DISABLED);
        rebuild();
        onChange.accept(b);
        log.info("backend disabled backend={}/{}", name, b.id());
    }

    /** Back to ACTIVE (a removed backend cannot come back: add it again). */
    public void enable(Backend b) {
        assert control.inEventLoop() : "pool changes run on the control thread";
        if (b.removed()) {
            throw new IllegalStateException("backend " + name + "/" + b.id() + " was removed");
        }
        cancelDrainTimer(b);
        b.admin(AdminState.ACTIVE);
        rebuild();
        onChange.accept(b);
        log.info("backend enabled backend={}/{} state={}", name, b.id(), b.state());
    }

    public void setWeight(Backend b, int weight) {
        assert control.inEventLoop() : "pool changes run on the control thread";
        if (b.weight() != weight) {
            b.weight(weight);
            rebuild();
        }
    }

    /** Health verdict (active checks or passive ejection); with close-on-down a DOWN closes live connections. */
    public void setHealthy(Backend b, boolean healthy) {
        assert control.inEventLoop() : "pool changes run on the control thread";
        if (b.healthy() == healthy) {
            return;
        }
        b.healthy(healthy);
        rebuild();
        onChange.accept(b);
        if (!healthy && config.closeOnDown()) {
            b.liveConnections().forEach(LiveConnection::closeBackendDown);
        }
    }

    private void startDrain(Backend b) {
        b.admin(AdminState.DRAINING);
        rebuild();
        onChange.accept(b);
        cancelDrainTimer(b);
        long timeoutMs = config.drainTimeout().toMillis();
        drainTimers.put(b, control.schedule(() -> drainTimeout(b), timeoutMs, TimeUnit.MILLISECONDS));
    }

    /** Closes what is left, spread evenly over close-spread so clients do not reconnect in one burst. */
    private void drainTimeout(Backend b) {
        List<LiveConnection> left = new ArrayList<>(b.liveConnections());
        if (left.isEmpty()) {
            return;
        }
        long spreadMs = config.closeSpread().toMillis();
        log.info("drain timeout backend={}/{} closing={} spread={}", name, b.id(), left.size(),
                Units.formatDuration(config.closeSpread()));
        for (int i = 0; i < left.size(); i++) {
            LiveConnection c = left.get(i);
            long at = left.size() == 1 ? 0 : spreadMs * i / (left.size() - 1);
            if (at == 0) {
                c.closeDrainTimeout();
            } else {
                control.schedule(c::closeDrainTimeout, at, TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Hands {@code task} to the control thread; dropped once the proxy has stopped (nothing left to remove). */
    private void onControl(Runnable task) {
        try {
            control.execute(task);
        } catch (RejectedExecutionException stopped) {
            // Shutdown already closed the pool.
        }
    }

    private void cancelDrainTimer(Backend b) {
        ScheduledFuture<?> t = drainTimers.remove(b);
        if (t != null) {
            t.cancel(false);
        }
    }

    private void rebuild() {
        // The balancer being replaced may watch backend loads (least-connections); the new one
        // watches the eligible backends again, so an old one is never told of load changes.
        members.forEach(b -> b.watchLoad(null));
        List<Backend> eligible = members.stream().filter(b -> b.state() == BackendState.UP).toList();
        List<Backend> kept = members.stream().filter(b -> !b.removed()).toList();
        Balancer balancer = balancers.create(config.balance(), eligible, kept, lastBuilt);
        if (!eligible.isEmpty()) {
            lastBuilt = balancer; // not the empty pool's: the table over all members outlives a moment with none UP
        }
        snapshot = new Snapshot(eligible, balancer);
    }
}
