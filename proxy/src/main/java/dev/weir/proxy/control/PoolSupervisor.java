package dev.weir.proxy.control;

import dev.weir.proxy.api.StartException;
import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.backend.connect.WarmConnections;
import dev.weir.proxy.balance.Balancers;
import dev.weir.proxy.config.BackendConfig;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.health.HealthStatus;
import dev.weir.proxy.health.PoolHealth;
import dev.weir.proxy.tls.ClientTls;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One pool, composed: its membership source (the config's static list, {@link StaticMembers}, or DNS discovery,
 * {@link DiscoveredMembers}) feeds its health checks ({@link HealthStage}), whose verdicts feed the pool's states
 * and so its snapshot, which carries the balancer ({@link BackendPool}); warm connections follow the members.
 * Reload hands it a new {@link PoolConfig}; it changes what differs and keeps the rest (backend states,
 * counters, live connections).
 *
 * <p>Thread rule: the control thread only (see {@link Control}).
 */
final class PoolSupervisor implements Members {

    final BackendPool pool;
    private final ProxyParts parts;
    private final HealthStage health;
    private PoolConfig config;
    private DiscoveredMembers discovery;
    private WarmConnections warm;
    /** The TLS it speaks to backends; null: plaintext. */
    private ClientTls tls;

    /** Builds the pool from its static backends (resolved here, off the event loops); checks and discovery start later. */
    PoolSupervisor(PoolConfig config, ProxyParts parts) throws StartException {
        this.config = config;
        this.parts = parts;
        this.pool = new BackendPool(config, StaticMembers.resolveAll(config), parts.control().executor(), Balancers::create);
        this.health = new HealthStage(pool, parts);
        this.tls = loadTls(config);
        pool.onForgotten(b -> {
            parts.metrics().backendRemoved(b);
            health.forget(b);
        });
        parts.events().known(pool);
        pool.onChange(b -> {
            if (warm != null) {
                warm.backendChanged(b);
            }
            PoolHealth h = health.health();
            HealthStatus status = h == null ? null : h.status(b);
            parts.events().backendChanged(pool, b, status == null ? null : status.lastCause());
        });
    }

    /** Starts health checks (every present backend counts as healthy until checks say otherwise) and discovery. */
    void start(boolean waitForDiscovery) {
        pool.members().forEach(b -> parts.metrics().backendAdded(config.name(), b));
        parts.connector().tls(pool, tls);
        health.tls(tls);
        health.start(config);
        startDiscovery(waitForDiscovery);
        startWarmConnections();
    }

    WarmConnections warmConnections() {
        return warm;
    }

    PoolHealth health() {
        return health.health();
    }

    PoolConfig config() {
        return config;
    }

    /** The TLS it speaks to backends now; null: plaintext. */
    ClientTls tls() {
        return tls;
    }

    /** Adds a backend at runtime (the API, a reload, discovery): with active checks DOWN until its first passing probe. */
    Backend add(Backend b) {
        join(b);
        return b;
    }

    @Override
    public void join(Backend b) {
        assert parts.control().inThread() : "pool changes run on the control thread";
        parts.metrics().backendAdded(config.name(), b);
        health.join(b);
    }

    @Override
    public void leave(Backend b) {
        pool.remove(b);
    }

    /** The backends of {@code next}'s static list that must be resolved before {@link #update} (a reload's prepare). */
    List<BackendConfig> newStaticBackends(PoolConfig next) {
        return StaticMembers.toResolve(pool, next);
    }

    /** The TLS {@code pc} speaks to backends, its files read now; null for plaintext (a reload's prepare step). */
    ClientTls loadTls(PoolConfig pc) throws StartException {
        return pc.tls() == null ? null : ClientTls.load("pools." + pc.name() + ".tls", pc.tls(), parts.tls());
    }

    /**
     * Applies a reloaded config of this pool; returns what changed, in words. The new backends
     * were resolved by the caller beforehand ({@code resolved}, by key), and its TLS files read ({@code nextTls}),
     * so this cannot fail.
     */
    List<String> update(PoolConfig next, Map<String, Backend> resolved, ClientTls nextTls) {
        assert parts.control().inThread() : "pool changes run on the control thread";
        List<String> changes = new ArrayList<>();
        String p = "pool " + next.name();
        PoolConfig old = config;
        config = next;
        // The pool always carries the current config (connect settings, keep-alive, PROXY header out).
        pool.update(next);
        tls = nextTls;
        parts.connector().tls(pool, nextTls); // new connects only; live ones keep their session
        health.tls(nextTls);
        if (warm != null) {
            // Idle warm sockets shook hands under the old settings; new files with the same settings keep them.
            warm.tls(nextTls, !Objects.equals(old.tls(), next.tls()));
        }
        if (!settings(old).equals(settings(next))) {
            changes.add(p + ": settings changed");
        }
        if (!Objects.equals(old.healthCheck(), next.healthCheck()) || !Objects.equals(old.passive(), next.passive())
                || old.proxyProtocol() != next.proxyProtocol()) {
            health.update(next);
            changes.add(p + ": health checks changed");
        }
        if (!Objects.equals(old.warmPool(), next.warmPool()) || !Objects.equals(old.keepAlive(), next.keepAlive())) {
            if (next.warmPool() == null) {
                stopWarmConnections();
            } else if (warm == null) {
                startWarmConnections();
            } else {
                warm.update(next.warmPool(), next.keepAlive());
            }
            changes.add(p + ": warm pool or keep-alive changed");
        }
        boolean sourceChanged = !Objects.equals(old.discovery(), next.discovery());
        if (sourceChanged) {
            stopDiscovery();
            changes.add(p + ": discovery changed");
        }
        if (next.discovery() == null) {
            changes.addAll(StaticMembers.reconcile(pool, next, resolved, this));
        }
        if (sourceChanged) {
            startDiscovery(false);
        }
        return changes;
    }

    private void startDiscovery(boolean waitForFirst) {
        if (config.discovery() != null) {
            discovery = new DiscoveredMembers(config.name(), config.discovery(), pool, this, parts.control(),
                    parts.healthLoop(), parts.transport());
            discovery.start(waitForFirst);
        }
    }

    private void stopDiscovery() {
        if (discovery != null) {
            discovery.close();
            discovery = null;
        }
    }

    private void startWarmConnections() {
        if (config.warmPool() == null) {
            return;
        }
        warm = new WarmConnections(pool, config.warmPool(), config.keepAlive(), parts.group(), parts.transport(),
                parts.connector().reads(), parts.metrics().registry());
        warm.tls(tls, false);
        parts.connector().warmPool(pool, warm);
        warm.start();
    }

    private void stopWarmConnections() {
        if (warm != null) {
            parts.connector().warmPool(pool, null);
            warm.close();
            warm = null;
        }
    }

    /** The pool is gone from the config: its backends drain, checks and discovery stop. */
    void retire() {
        parts.connector().tls(pool, null);
        stopDiscovery();
        stopWarmConnections();
        for (Backend b : pool.members()) {
            pool.remove(b);
        }
        health.close();
    }

    void close() {
        parts.connector().tls(pool, null);
        stopDiscovery();
        stopWarmConnections();
        health.close();
    }

    /** The settings BackendPool applies itself (backends, health and discovery are reconciled apart). */
    private static List<Object> settings(PoolConfig c) {
        return Arrays.asList(c.balance(), c.connectTimeout(), c.connectAttempts(), c.drainTimeout(),
                c.closeSpread(), c.closeOnDown(), c.proxyProtocol(), c.tls());
    }
}
