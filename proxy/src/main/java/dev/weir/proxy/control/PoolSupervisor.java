package dev.weir.proxy.control;

import dev.weir.proxy.api.StartException;
import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.backend.ConnectFeedback;
import dev.weir.proxy.balance.Balancers;
import dev.weir.proxy.config.BackendConfig;
import dev.weir.proxy.config.DiscoveryConfig;
import dev.weir.proxy.config.HostPort;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.discovery.DnsDiscovery;
import dev.weir.proxy.health.PoolHealth;
import dev.weir.proxy.transport.Transport;
import dev.weir.proxy.backend.connect.BackendConnector;
import dev.weir.proxy.backend.connect.WarmConnections;
import dev.weir.proxy.metrics.ProxyMetrics;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool and what keeps its membership and health current: its membership source (the static backends of the
 * config, or DNS discovery) feeds health checks, and health verdicts feed the pool's states and snapshot, which
 * carries the balancer. Reload hands it a new {@link PoolConfig}; it changes what differs and keeps the rest
 * (backend states, counters, live connections).
 *
 * <p>Thread rule: the control thread only. Health state lives there too (probes run on an I/O loop and report
 * back); discovery results arrive on the resolver's loop and are handed to the control thread.
 */
final class PoolSupervisor {

    private static final Logger log = LoggerFactory.getLogger(PoolSupervisor.class);

    final BackendPool pool;
    private final EventLoop loop;
    private final Transport transport;
    private final ProxyParts shared;
    private final Control control;
    /** The newest discovered address set not yet applied (results are coalesced on their way to the control thread). */
    private final AtomicReference<Set<InetSocketAddress>> discovered = new AtomicReference<>();
    private PoolConfig config;
    private PoolHealth health;
    private DnsDiscovery discovery;
    private WarmConnections warm;

    /** Builds the pool from its static backends (resolved here, off the event loops); health and discovery start later. */
    PoolSupervisor(PoolConfig config, ProxyParts shared) throws StartException {
        this.config = config;
        this.loop = shared.healthLoop();
        this.shared = shared;
        this.control = shared.control();
        this.transport = shared.transport();
        List<Backend> backends = new ArrayList<>();
        for (int i = 0; i < config.backends().size(); i++) {
            backends.add(newBackend(config.backends().get(i), "pools." + config.name() + ".backends[" + i + "].address"));
        }
        this.pool = new BackendPool(config, backends, control.executor(), Balancers::create);
        pool.onForgotten(b -> {
            shared.metrics().backendRemoved(b);
            PoolHealth h = health;
            if (h != null) {
                h.remove(b);
            }
        });
        pool.onChange(b -> {
            WarmConnections w = warm;
            if (w != null) {
                w.backendChanged(b);
            }
        });
    }

    /** Starts health checks (every present backend counts as healthy until checks say otherwise) and discovery. */
    void start(boolean waitForDiscovery) {
        pool.members().forEach(b -> shared.metrics().backendAdded(config.name(), b));
        startHealth();
        startDiscovery(waitForDiscovery);
        startWarmPool();
    }

    WarmConnections warmConnections() {
        return warm;
    }

    private void startWarmPool() {
        if (config.warmPool() == null) {
            return;
        }
        warm = new WarmConnections(pool, config.warmPool(), config.keepAlive(), shared.group(), transport,
                shared.connector().reads(), shared.metrics().registry());
        shared.connector().warmPool(pool, warm);
        warm.start();
    }

    private void stopWarmPool() {
        if (warm != null) {
            shared.connector().warmPool(pool, null);
            warm.close();
            warm = null;
        }
    }

    PoolHealth health() {
        return health;
    }

    PoolConfig config() {
        return config;
    }

    static Backend newBackend(BackendConfig bc, String path) throws StartException {
        InetSocketAddress resolved = bc.address().resolve();
        if (resolved.isUnresolved()) {
            throw new StartException(path + ": cannot resolve \"" + bc.address().host() + "\"", null);
        }
        Backend b = new Backend(bc.id(), bc.address().toString(), resolved, bc.weight());
        b.maxConnections(bc.maxConnections());
        return b;
    }

    /** Adds a backend at runtime: with active checks it stays DOWN until its first passing probe. */
    Backend add(Backend b) {
        shared.metrics().backendAdded(config.name(), b);
        PoolHealth h = health;
        pool.add(b, h == null || !hasActiveChecks());
        if (h != null) {
            h.add(b, false);
        }
        return b;
    }

    private boolean hasActiveChecks() {
        return config.healthCheck() != null;
    }

    /**
     * Applies a reloaded config of this pool; returns what changed, in words. The new backends
     * were resolved by the caller beforehand ({@code resolved}, by key), so this cannot fail.
     */
    List<String> update(PoolConfig next, Map<String, Backend> resolved) {
        List<String> changes = new ArrayList<>();
        String p = "pool " + next.name();
        PoolConfig old = config;
        config = next;
        // The pool always carries the current config (connect settings, keep-alive, PROXY header out).
        pool.update(next);
        if (!settings(old).equals(settings(next))) {
            changes.add(p + ": settings changed");
        }
        if (!Objects.equals(old.healthCheck(), next.healthCheck()) || !Objects.equals(old.passive(), next.passive())
                || old.proxyProtocol() != next.proxyProtocol()) {
            updateHealth(next);
            changes.add(p + ": health checks changed");
        }
        if (!Objects.equals(old.warmPool(), next.warmPool()) || !Objects.equals(old.keepAlive(), next.keepAlive())) {
            if (next.warmPool() == null) {
                stopWarmPool();
            } else if (warm == null) {
                startWarmPool();
            } else {
                warm.update(next.warmPool(), next.keepAlive());
            }
            changes.add(p + ": warm pool or keep-alive changed");
        }
        if (!Objects.equals(old.discovery(), next.discovery())) {
            stopDiscovery();
            changes.add(p + ": discovery changed");
        }
        if (next.discovery() == null) {
            changes.addAll(reconcileStatic(next, resolved));
        }
        if (!Objects.equals(old.discovery(), next.discovery())) {
            startDiscovery(false);
        }
        return changes;
    }

    /** Keys of the static backends a reload adds (to resolve them before anything is changed). */
    List<BackendConfig> newStaticBackends(PoolConfig next) {
        List<BackendConfig> added = new ArrayList<>();
        for (BackendConfig bc : next.backends()) {
            Backend existing = pool.byKey(bc.address().toString());
            if (existing == null || !existing.id().equals(bc.id())) {
                added.add(bc);
            }
        }
        return added;
    }

    private List<String> reconcileStatic(PoolConfig next, Map<String, Backend> resolved) {
        List<String> changes = new ArrayList<>();
        Map<String, BackendConfig> wanted = new HashMap<>();
        for (BackendConfig bc : next.backends()) {
            wanted.put(bc.address().toString(), bc);
        }
        for (Backend b : pool.members()) {
            if (b.removed()) {
                continue;
            }
            BackendConfig bc = wanted.get(b.key());
            if (bc == null || !bc.id().equals(b.id())) {
                pool.remove(b);
                changes.add("pool " + next.name() + ": backend " + b.id() + " removed (draining)");
            } else {
                if (bc.weight() != b.weight()) {
                    changes.add("pool " + next.name() + ": backend " + b.id() + " weight " + b.weight() + " -> " + bc.weight());
                    pool.setWeight(b, bc.weight());
                }
                if (bc.maxConnections() != b.maxConnections()) {
                    changes.add("pool " + next.name() + ": backend " + b.id() + " max-connections " + b.maxConnections()
                            + " -> " + bc.maxConnections());
                    b.maxConnections(bc.maxConnections());
                }
            }
        }
        for (BackendConfig bc : next.backends()) {
            if (pool.byKey(bc.address().toString()) == null) {
                add(resolved.get(bc.address().toString()));
                changes.add("pool " + next.name() + ": backend " + bc.id() + " added");
            }
        }
        return changes;
    }

    private void startHealth() {
        if (config.healthCheck() == null && config.passive() == null) {
            return;
        }
        ProxyMetrics metrics = shared.metrics();
        health = new PoolHealth(config.name(), config.healthCheck(), config.passive(), control.executor(), loop, transport,
                new PoolHealth.Listener() {
                    @Override
                    public void healthChanged(Backend b, boolean healthy, String cause) {
                        // On the control thread, where the health state lives: the verdict applies at once.
                        metrics.healthChanged(b, healthy);
                        pool.setHealthy(b, healthy);
                    }

                    @Override
                    public void probed(Backend b, boolean ok, long durationMillis) {
                        metrics.probed(b, ok, durationMillis);
                    }
                });
        health.proxyProtocol(config.proxyProtocol());
        for (Backend b : pool.members()) {
            health.add(b, b.healthy());
        }
        pool.feedback(new ConnectFeedback() {
            @Override
            public void connectFailed(Backend b, String cause) {
                PoolHealth h = health;
                if (h != null) {
                    h.connectFailed(b, cause);
                }
            }

            @Override
            public void connectSucceeded(Backend b) {
                PoolHealth h = health;
                if (h != null) {
                    h.connectSucceeded(b);
                }
            }
        });
    }

    private void updateHealth(PoolConfig next) {
        boolean wants = next.healthCheck() != null || next.passive() != null;
        if (health != null && wants) {
            health.proxyProtocol(next.proxyProtocol());
            health.update(next.healthCheck(), next.passive());
        } else if (health != null) {
            health.close();
            health = null;
            pool.feedback(ConnectFeedback.NONE);
            pool.members().forEach(b -> pool.setHealthy(b, true));
        } else if (wants) {
            startHealth();
        }
    }

    private void startDiscovery(boolean waitForFirst) {
        DiscoveryConfig d = config.discovery();
        if (d == null) {
            return;
        }
        DnsDiscovery source = new DnsDiscovery(config.name(), d, loop, transport, (added, removed, all) -> {
            discovered.set(all);
            control.execute(this::applyDiscovered);
        });
        discovery = source;
        source.start();
        if (waitForFirst) {
            // Serve from the first answer when it comes quickly; otherwise start empty and fill in later.
            if (!source.firstResult().awaitUninterruptibly(Math.min(d.refresh().toMillis(), 5_000), TimeUnit.MILLISECONDS)) {
                log.warn("discovery slow pool={} dns={} starting_with=0 backends", config.name(), d.dns());
            }
            applyDiscovered(); // now, not after the start that waits here on the control thread
        }
    }

    /** On the control thread: the newest discovered set, unless a later call applied it already. */
    private void applyDiscovered() {
        Set<InetSocketAddress> all = discovered.getAndSet(null);
        if (all != null && discovery != null) {
            reconcileDiscovered(all);
        }
    }

    private void stopDiscovery() {
        if (discovery != null) {
            discovery.close();
            discovery = null;
            discovered.set(null); // a result still on its way belongs to the source just stopped
        }
    }

    /** Makes the pool's members the discovered set: new addresses join (through health checks), gone ones drain. */
    private void reconcileDiscovered(Set<InetSocketAddress> all) {
        Set<String> keys = new HashSet<>();
        for (InetSocketAddress a : all) {
            keys.add(new HostPort(a.getAddress().getHostAddress(), a.getPort()).toString());
        }
        for (Backend b : pool.members()) {
            if (!b.removed() && !keys.contains(b.key())) {
                pool.remove(b);
            }
        }
        int weight = config.discovery() == null ? 1 : config.discovery().weight();
        for (InetSocketAddress a : all) {
            String key = new HostPort(a.getAddress().getHostAddress(), a.getPort()).toString();
            if (pool.byKey(key) == null) {
                add(new Backend(key, key, a, weight));
            }
        }
    }

    /** The pool is gone from the config: its backends drain, checks and discovery stop. */
    void retire() {
        stopDiscovery();
        stopWarmPool();
        for (Backend b : pool.members()) {
            pool.remove(b);
        }
        if (health != null) {
            health.close();
            health = null;
        }
    }

    void close() {
        stopDiscovery();
        stopWarmPool();
        if (health != null) {
            health.close();
            health = null;
        }
    }

    /** The settings BackendPool applies itself (backends, health and discovery are reconciled apart). */
    private static List<Object> settings(PoolConfig c) {
        return java.util.Arrays.asList(c.balance(), c.connectTimeout(), c.connectAttempts(), c.drainTimeout(),
                c.closeSpread(), c.closeOnDown(), c.proxyProtocol());
    }
}
