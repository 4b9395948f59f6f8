package dev.weir.proxy.control;

import dev.weir.proxy.admin.AdminServer;
import dev.weir.proxy.api.ProxyControl;
import dev.weir.proxy.api.StartException;
import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ListenerConfig;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.relay.ProxyListener;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * What runs: the pools, the listeners and the admin endpoint by name, and the config they run with.
 *
 * <p>Thread rule: the maps and the admin fields belong to the control thread ({@link Control}); every change runs
 * there. For readers elsewhere (the data path's SNI routes, {@code /readyz}, status) it publishes immutable copies
 * ({@link #poolNamed}, {@link #listenersNow}) and the config through volatile fields, replaced whole.
 */
final class Registry {

    final Map<String, PoolSupervisor> pools = new LinkedHashMap<>();
    final Map<String, ProxyListener> listeners = new LinkedHashMap<>();
    /** The admin endpoint now; null when it is off. */
    volatile AdminServer admin;
    /** Endpoints a reload moved away from, still answering what they had taken; closed at shutdown. */
    final List<AdminServer> retiredAdmins = new ArrayList<>();
    private volatile Config config;
    private volatile Config inEffect;
    /** The keys a reload keeps until restart (transport, event loops, max-read, TLS provider) come from this. */
    private final Config startedWith;
    private volatile Map<String, BackendPool> poolsByName = Map.of();
    private volatile Map<String, ProxyListener> listenersByName = Map.of();

    Registry(Config config) {
        this.config = config;
        this.inEffect = config;
        this.startedWith = config;
    }

    /** The config that runs (replaced whole by a reload), as the file gave it. Any thread. */
    Config config() {
        return config;
    }

    /** {@link #config()} with the keys a reload keeps until restart as they were at start: what is in effect. */
    Config inEffect() {
        return inEffect;
    }

    void config(Config next) {
        this.config = next;
        Config s = startedWith;
        boolean keptAsIs = next.transport() == s.transport() && next.eventLoopThreads() == s.eventLoopThreads()
                && next.eventLoopSpin().equals(s.eventLoopSpin()) && next.maxRead() == s.maxRead()
                && next.tlsProvider() == s.tlsProvider();
        this.inEffect = keptAsIs ? next : new Config(s.transport(), s.eventLoopThreads(), s.eventLoopSpin(), s.maxRead(),
                s.tlsProvider(), next.listeners(), next.pools(), next.shutdown(), next.reload(), next.admin(),
                next.accessLog());
    }

    /** A pool by name for the data path (SNI routes); null for an unknown name. Any thread, never waits. */
    BackendPool poolNamed(String name) {
        return poolsByName.get(name);
    }

    /** The listeners as last published. Any thread, never waits. */
    Map<String, ProxyListener> listenersNow() {
        return listenersByName;
    }

    /** Live client connections of every listener served by {@code loop}; from any thread (a scrape). */
    int connectionsOn(EventLoop loop) {
        int n = 0;
        for (ProxyListener l : listenersByName.values()) {
            n += l.connectionsOn(loop);
        }
        return n;
    }

    /** Publishes the maps as they are now, for readers on other threads. */
    void publish() {
        Map<String, BackendPool> m = new HashMap<>();
        pools.forEach((k, v) -> m.put(k, v.pool));
        poolsByName = Map.copyOf(m);
        listenersByName = Map.copyOf(listeners);
    }

    /** The pool's supervisor; NoSuchElementException (the admin API's 404) for an unknown pool. */
    PoolSupervisor pool(String name) {
        PoolSupervisor p = pools.get(name);
        if (p == null) {
            throw new NoSuchElementException("no pool \"" + name + "\" (pools: " + String.join(", ", pools.keySet()) + ")");
        }
        return p;
    }

    /**
     * A start, on the control thread: every pool (its backends resolved), every listener bound and accepting, the
     * admin endpoint after them (traffic first; its bind failure still fails the start), then health checks and
     * discovery, waiting a little for the first DNS answers.
     */
    void startAll(ProxyParts parts, ProxyControl proxy) throws StartException, InterruptedException {
        for (PoolConfig pc : config.pools().values()) {
            pools.put(pc.name(), parts.newPool(pc));
        }
        publish();
        for (ListenerConfig lc : config.listeners().values()) {
            ProxyListener listener = parts.newListener(lc, pools.get(lc.pool()).pool);
            listeners.put(lc.name(), listener);
            ProxyParts.use(listener, ProxyParts.bindNew(listener, lc));
        }
        publish();
        admin = parts.startAdmin(config.admin(), proxy);
        for (PoolSupervisor p : pools.values()) {
            p.start(true);
        }
    }

    /**
     * Shutdown, on the control thread: every pool's checks, discovery and warm connections stop; returns the admin
     * endpoints to close.
     */
    List<AdminServer> closePools() {
        pools.values().forEach(PoolSupervisor::close);
        List<AdminServer> endpoints = new ArrayList<>();
        if (admin != null) {
            endpoints.add(admin);
        }
        endpoints.addAll(retiredAdmins);
        admin = null;
        retiredAdmins.clear();
        return endpoints;
    }

    /** A backend of the pool by id or {@code host:port}; NoSuchElementException when it has none of either. */
    static Backend backend(PoolSupervisor p, String id) {
        Backend b = p.pool.find(id);
        if (b == null) {
            throw new NoSuchElementException("no backend \"" + id + "\" in pool \"" + p.pool.name() + "\"");
        }
        return b;
    }
}
