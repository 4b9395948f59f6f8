package dev.weir.proxy.control;

import dev.weir.proxy.admin.AdminServer;
import dev.weir.proxy.api.ProxyControl;
import dev.weir.proxy.api.BackendStatus;
import dev.weir.proxy.api.ReloadResult;
import dev.weir.proxy.api.StartException;
import dev.weir.proxy.backend.AdminState;
import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.config.AdminConfig;
import dev.weir.proxy.config.BackendConfig;
import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ConfigException;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.proxy.config.HostPort;
import dev.weir.proxy.config.ListenerConfig;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.config.Units;
import dev.weir.proxy.health.PoolHealth;
import dev.weir.proxy.metrics.AccessLog;
import dev.weir.proxy.metrics.ProxyMetrics;
import dev.weir.proxy.metrics.CloseReason;
import dev.weir.proxy.relay.ProxyListener;
import dev.weir.proxy.transport.EpollInterest;
import dev.weir.proxy.transport.Transport;
import dev.weir.proxy.backend.connect.BackendConnector;
import dev.weir.proxy.backend.connect.WarmConnections;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running proxy: wires config, pools, listeners and event loops, and owns their lifecycle and
 * every change made to them (reload, and the operator API the admin endpoint calls). Build one
 * with {@link #start}; stop it with {@link #shutdown} (graceful) or {@link #close}.
 *
 * <p>Changes (reload and the operator API) are serialized by this object's monitor; the data path
 * never takes it.
 */
public final class Weir implements ProxyControl, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Weir.class);

    private final Transport transport;
    private final EventLoopGroup group;
    private final EventLoop control;
    private final ProxyMetrics metrics;
    private final BackendConnector connector;
    private final AccessLog accessLog;
    private final Path configFile;
    private final Map<String, PoolSupervisor> pools = new LinkedHashMap<>();
    private final Map<String, ProxyListener> listeners = new LinkedHashMap<>();
    /** Backends changed through the operator API since the last reload ("pool/id"); the file wins on reload. */
    private final java.util.Set<String> apiTouched = new java.util.LinkedHashSet<>();
    /** Pools by name for the data path (SNI routes): replaced whole, never locked. */
    private volatile Map<String, BackendPool> poolsByName = Map.of();
    /** Listeners by name for readers that must not wait on a reload (/readyz, status): replaced whole. */
    private volatile Map<String, ProxyListener> listenersByName = Map.of();
    /**
     * Where the admin endpoint's API calls run, reload included, one at a time: never on the admin event loop,
     * so /healthz, /readyz and /metrics answer while a reload reads, resolves and binds.
     */
    private final ExecutorService controlThread =
            Executors.newSingleThreadExecutor(new DefaultThreadFactory("weir-control", true));
    private final PrometheusMeterRegistry prometheus;
    private volatile AdminServer admin;
    /** Endpoints a reload moved away from, still answering what they had taken; closed at shutdown. */
    private final List<AdminServer> retiredAdmins = new ArrayList<>();
    private volatile Config config;
    /** The config the proxy started with: what transport, event loops and reads really run with until restart. */
    private final Config startedWith;
    private volatile boolean ready;
    private volatile boolean stopping;

    private Weir(Config config, Transport transport, MeterRegistry registry, Path configFile) {
        this.config = config;
        this.startedWith = config;
        this.transport = transport;
        this.configFile = configFile;
        // The admin endpoint scrapes a Prometheus registry; a caller's other registry (tests) sees the same meters.
        if (registry instanceof PrometheusMeterRegistry p) {
            this.prometheus = p;
            this.metrics = new ProxyMetrics(registry);
        } else {
            this.prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            this.metrics = new ProxyMetrics(new CompositeMeterRegistry(io.micrometer.core.instrument.Clock.SYSTEM,
                    List.of(registry, prometheus)));
        }
        int threads = config.eventLoopThreads() > 0 ? config.eventLoopThreads() : Runtime.getRuntime().availableProcessors();
        this.group = transport.newGroup(threads, "weir-loop", config.eventLoopSpin());
        if (transport == Transport.EPOLL) {
            EpollInterest.active();   // a warning now, at start, if the epoll workaround cannot apply
        }
        this.control = group.next();
        this.connector = new BackendConnector(transport, Transport.reads(config.maxRead()), metrics);
        this.accessLog = new AccessLog(config.accessLog());
    }

    public static Weir start(Config config, MeterRegistry registry) throws StartException {
        return start(config, registry, null);
    }

    /**
     * Starts the proxy: resolves backend addresses (here, before any event loop needs them), binds
     * every listener, then starts health checks and discovery. On any failure what was started is
     * closed again and the cause thrown.
     *
     * @param configFile the file {@link #reloadFromFile()} re-reads; null when there is none
     * @throws StartException with a message naming the config path when something cannot start
     */
    public static Weir start(Config config, MeterRegistry registry, Path configFile) throws StartException {
        Transport transport;
        try {
            transport = Transport.choose(config.transport());
        } catch (Transport.UnavailableException e) {
            throw new StartException(e.getMessage(), e);
        }
        String passedOver = Transport.unavailabilityReport(transport);
        java.time.Duration spinning = transport.spin(config.eventLoopSpin());
        String spin = spinning.isZero() ? "off" : Units.formatMicroseconds(spinning);
        log.info("transport chosen transport={} requested={} event_loop_spin={}{}", transport,
                config.transport().yamlName(), spin, passedOver.isEmpty() ? "" : " unavailable: " + passedOver);
        Weir weir = new Weir(config, transport, registry, configFile);
        try {
            weir.build();
            return weir;
        } catch (StartException | RuntimeException e) {
            weir.close();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            weir.close();
            throw new StartException("interrupted while starting", e);
        }
    }

    private synchronized void build() throws StartException, InterruptedException {
        for (PoolConfig pc : config.pools().values()) {
            pools.put(pc.name(), new PoolSupervisor(pc, control, shared()));
        }
        publishPools();
        // Per-client tables forget idle sources, so their memory stays bounded.
        control.scheduleAtFixedRate(() -> {
            for (ProxyListener l : listenersSnapshot()) {
                l.sweepClients();
            }
        }, 10, 10, TimeUnit.SECONDS);
        for (ListenerConfig lc : config.listeners().values()) {
            ProxyListener listener = new ProxyListener(lc, pools.get(lc.pool()).pool, this::poolForRoute, group, transport,
                    connector, metrics, accessLog);
            bind(listener, lc);
            listeners.put(lc.name(), listener);
        }
        publishListeners();
        // The admin endpoint after the proxy listeners: traffic first (a bind failure still fails the start).
        admin = startAdmin(config.admin());
        for (PoolSupervisor p : pools.values()) {
            p.start(true);
        }
        // JVM, process and Netty meters: ~100 ms of class loading, so after the listeners accept.
        metrics.bindRuntime(group);
        ready = true;
    }

    private AdminServer startAdmin(AdminConfig cfg) throws StartException, InterruptedException {
        if (cfg.bind() == null) {
            return null;
        }
        InetSocketAddress bind = cfg.bind().resolve();
        if (bind.isUnresolved()) {
            throw new StartException("admin.bind: cannot resolve \"" + cfg.bind().host() + "\"", null);
        }
        try {
            return AdminServer.start(bind, cfg.token(), this, prometheus);
        } catch (RuntimeException e) {
            throw new StartException("admin.bind: cannot bind " + cfg.bind() + " (" + e.getMessage() + ")", e);
        }
    }

    /** The admin endpoint's address; null when it is off. */
    public InetSocketAddress adminAddress() {
        AdminServer a = admin;
        return a == null ? null : a.address();
    }

    /** True once every listener is bound and until shutdown starts (the admin /readyz). */
    public boolean isReady() {
        return ready && !stopping;
    }

    private BackendPool poolForRoute(String name) {
        return poolsByName.get(name);
    }

    private void publishPools() {
        Map<String, BackendPool> m = new HashMap<>();
        pools.forEach((k, v) -> m.put(k, v.pool));
        poolsByName = Map.copyOf(m);
    }

    private void publishListeners() {
        listenersByName = Map.copyOf(listeners);
    }

    private List<ProxyListener> listenersSnapshot() {
        return new ArrayList<>(listenersByName.values());
    }

    /** Where the admin API's calls run (one thread, see {@code controlThread}). */
    public Executor controlExecutor() {
        return controlThread;
    }

    private PoolSupervisor.Shared shared() {
        return new PoolSupervisor.Shared(group, transport, connector, metrics);
    }

    private static void bind(ProxyListener listener, ListenerConfig lc) throws StartException, InterruptedException {
        listener.use(bindNew(listener, lc));
    }

    /** Sockets bound for {@code listener} at {@code lc}'s address, not accepting yet (see ProxyListener#bindNew). */
    private static List<Channel> bindNew(ProxyListener listener, ListenerConfig lc)
            throws StartException, InterruptedException {
        InetSocketAddress bind = lc.bind().resolve();
        if (bind.isUnresolved()) {
            throw new StartException("listeners." + lc.name() + ".bind: cannot resolve \"" + lc.bind().host() + "\"", null);
        }
        try {
            return listener.bindNew(bind);
        } catch (IllegalStateException e) {
            throw new StartException(e.getMessage(), e.getCause());
        }
    }

    /** Phase 2 of a reload: the listener accepts on its prepared sockets. */
    private static void use(ProxyListener listener, List<Channel> bound) {
        try {
            listener.use(bound);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public Config config() {
        return config;
    }

    /** The transport in use: io_uring, epoll or nio. */
    public String transport() {
        return transport.name();
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    @Override
    public MeterRegistry registry() {
        return metrics.registry();
    }

    /** The bound address of a listener (the real port when the config said port 0). Never waits on a reload. */
    public InetSocketAddress listenerAddress(String listener) {
        ProxyListener l = listenersByName.get(listener);
        if (l == null) {
            throw new NoSuchElementException("no listener \"" + listener + "\"");
        }
        return l.localAddress();
    }

    public synchronized List<String> poolNames() {
        return List.copyOf(pools.keySet());
    }

    /** The pool's live state; throws NoSuchElementException for an unknown pool. */
    public synchronized BackendPool pool(String name) {
        return runtime(name).pool;
    }

    private PoolSupervisor runtime(String name) {
        PoolSupervisor p = pools.get(name);
        if (p == null) {
            throw new NoSuchElementException("no pool \"" + name + "\" (pools: " + String.join(", ", pools.keySet()) + ")");
        }
        return p;
    }

    private Backend backend(PoolSupervisor p, String id) {
        Backend b = p.pool.backend(id);
        if (b == null) {
            throw new NoSuchElementException("no backend \"" + id + "\" in pool \"" + p.pool.name() + "\"");
        }
        return b;
    }

    // ---- operator API (the admin endpoint calls these) ----

    /** Every backend of a pool with its state, counters and health. */
    public synchronized List<BackendStatus> backends(String pool) {
        PoolSupervisor p = runtime(pool);
        PoolHealth health = p.health();
        WarmConnections warm = p.warmPool();
        List<BackendStatus> out = new ArrayList<>();
        for (Backend b : p.pool.members()) {
            out.add(new BackendStatus(b.id(), b.key(), b.state(), b.admin(), b.removed(), b.weight(),
                    b.activeConnections(), b.totalConnections(), b.connectFailures(), b.bytesToBackend(),
                    b.bytesFromBackend(), b.drainStartedMillis(), health == null ? null : health.status(b),
                    warm == null ? 0 : warm.idle(b)));
        }
        return out;
    }

    /** No new connections to the backend; live ones finish or are closed at the pool's drain-timeout. */
    public synchronized void drain(String pool, String id) {
        PoolSupervisor p = runtime(pool);
        p.pool.drain(backend(p, id));
        apiTouched.add(pool + "/" + id);
    }

    public synchronized void disable(String pool, String id) {
        PoolSupervisor p = runtime(pool);
        p.pool.disable(backend(p, id));
        apiTouched.add(pool + "/" + id);
    }

    /** Back in rotation (when healthy). IllegalStateException for a removed backend. */
    public synchronized void enable(String pool, String id) {
        PoolSupervisor p = runtime(pool);
        p.pool.enable(backend(p, id));
        apiTouched.add(pool + "/" + id);
    }

    /**
     * Adds a backend at runtime (resolving its host here). With active checks it is DOWN until its
     * first check passes. IllegalStateException when the address is already in the pool.
     */
    public synchronized BackendStatus addBackend(String pool, String address, int weight, String name) {
        PoolSupervisor p = runtime(pool);
        HostPort hp = HostPort.parse(address);
        if (hp.port() < 1) {
            throw new IllegalArgumentException("address: port " + hp.port() + " (expected: 1..65535)");
        }
        if (weight < 1 || weight > 1000) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: 1..1000)");
        }
        if (p.pool.byKey(hp.toString()) != null) {
            throw new IllegalStateException("backend " + hp + " is already in pool \"" + pool + "\"");
        }
        if (name != null && p.pool.backend(name) != null) {
            throw new IllegalStateException("a backend named \"" + name + "\" is already in pool \"" + pool + "\"");
        }
        Backend b;
        try {
            b = PoolSupervisor.newBackend(new BackendConfig(hp, weight, name), "address");
        } catch (StartException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        p.add(b);
        apiTouched.add(pool + "/" + b.id());
        return backends(pool).stream().filter(s -> s.id().equals(b.id()) && !s.removed()).findFirst().orElseThrow();
    }

    /** Drains the backend, then it leaves the pool when its last connection ends. */
    public synchronized void removeBackend(String pool, String id) {
        PoolSupervisor p = runtime(pool);
        Backend b = backend(p, id);
        if (b.removed()) {
            throw new IllegalStateException("backend \"" + id + "\" is already being removed");
        }
        p.pool.remove(b);
        apiTouched.add(pool + "/" + id);
    }

    /** Live client connections over all listeners. */
    public synchronized int activeConnections() {
        return listeners.values().stream().mapToInt(ProxyListener::activeConnections).sum();
    }

    /** Bytes held in Weir's output queues for all live connections (status and tests). */
    public synchronized long bufferedBytes() {
        return listeners.values().stream().mapToLong(ProxyListener::bufferedBytes).sum();
    }

    public boolean isStopping() {
        return stopping;
    }

    // ---- reload ----

    /** Re-reads the config file given at start; FAILED (and nothing changed) when it is invalid. */
    public ReloadResult reloadFromFile() {
        if (configFile == null) {
            return report(ReloadResult.failed(List.of("no config file to reload from")));
        }
        Config next;
        try {
            next = ConfigLoader.load(configFile);
        } catch (ConfigException e) {
            return report(ReloadResult.failed(e.errors()));
        } catch (IOException e) {
            return report(ReloadResult.failed(List.of(configFile + ": cannot read (" + e.getMessage() + ")")));
        }
        return reload(next);
    }

    /**
     * Applies {@code next} in place. First everything that can fail is prepared (backend hosts
     * resolved, new and moved listeners bound); if any of it fails, what was prepared is undone and
     * the running config stays. Then the differences are applied: pools are updated in place
     * (backend states, counters and live connections survive), removed backends drain, removed
     * listeners stop accepting while their connections go on.
     */
    public synchronized ReloadResult reload(Config next) {
        if (stopping) {
            return report(ReloadResult.failed(List.of("shutting down")));
        }
        Config old = config;
        if (next.equals(old) && apiTouched.isEmpty()) {
            return report(new ReloadResult(ReloadResult.Outcome.UNCHANGED, List.of(), List.of(), List.of()));
        }
        List<String> changes = new ArrayList<>();
        // Against what runs, not the last file: a file that goes back to the running value is no change.
        Config running = startedWith;
        if (next.transport() != running.transport() || next.eventLoopThreads() != running.eventLoopThreads()) {
            changes.add("transport and event-loop-threads: kept " + running.transport().yamlName() + "/"
                    + running.eventLoopThreads() + " until restart");
        }
        if (!next.eventLoopSpin().equals(running.eventLoopSpin())) {
            changes.add("event-loop-spin: kept " + Units.formatMicroseconds(running.eventLoopSpin()) + " until restart");
        }
        if (next.maxRead() != running.maxRead()) {
            changes.add("max-read: kept " + Units.formatSize(running.maxRead()) + " until restart");
        }
        // Phase 1: what can fail.
        AdminServer newAdmin = null;
        Map<String, PoolSupervisor> newPools = new LinkedHashMap<>();
        Map<String, Map<String, Backend>> resolved = new HashMap<>();
        Map<String, ProxyListener> newListeners = new LinkedHashMap<>();
        Map<String, ProxyListener> rebound = new LinkedHashMap<>();
        // Sockets bound for new and moved listeners, not accepting until phase 2 uses them.
        Map<String, List<Channel>> prepared = new LinkedHashMap<>();
        boolean adminChanged = !next.admin().equals(old.admin());
        // Same address, new token: the running endpoint takes the new token, nothing is bound again.
        boolean tokenOnly = adminChanged && admin != null && Objects.equals(next.admin().bind(), old.admin().bind());
        try {
            for (PoolConfig pc : next.pools().values()) {
                PoolSupervisor existing = pools.get(pc.name());
                if (existing == null) {
                    newPools.put(pc.name(), new PoolSupervisor(pc, control, shared()));
                } else if (pc.discovery() == null) {
                    Map<String, Backend> byKey = new HashMap<>();
                    for (BackendConfig bc : existing.newStaticBackends(pc)) {
                        byKey.put(bc.address().toString(), PoolSupervisor.newBackend(bc, "pools." + pc.name() + ".backends"));
                    }
                    resolved.put(pc.name(), byKey);
                }
            }
            for (ListenerConfig lc : next.listeners().values()) {
                ProxyListener existing = listeners.get(lc.name());
                BackendPool pool = newPools.containsKey(lc.pool()) ? newPools.get(lc.pool()).pool : pools.get(lc.pool()).pool;
                if (existing == null) {
                    ProxyListener l = new ProxyListener(lc, pool, this::poolForRoute, group, transport, connector, metrics,
                            accessLog);
                    newListeners.put(lc.name(), l);
                    prepared.put(lc.name(), bindNew(l, lc));
                } else if (!existing.config().bind().equals(lc.bind()) && !boundAt(existing, lc.bind())) {
                    rebound.put(lc.name(), existing);
                }
            }
            if (adminChanged && !tokenOnly) {
                // A new address, bound while the old endpoint still answers (so one that shares its port fails here).
                newAdmin = startAdmin(next.admin());
            }
            for (Map.Entry<String, ProxyListener> e : rebound.entrySet()) {
                // The old address keeps accepting until phase 2 moves the listener.
                prepared.put(e.getKey(), bindNew(e.getValue(), next.listeners().get(e.getKey())));
            }
        } catch (StartException | InterruptedException | RuntimeException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            // Nothing running was touched: close what was prepared, and the proxy is as it was.
            if (e instanceof RuntimeException) {
                log.warn("reload failed while preparing", e);
            }
            prepared.values().forEach(chs -> chs.forEach(c -> c.close().awaitUninterruptibly()));
            newPools.values().forEach(PoolSupervisor::close);
            if (newAdmin != null) {
                newAdmin.close();
            }
            return report(ReloadResult.failed(List.of(String.valueOf(e.getMessage()))));
        }
        try {
            return commit(next, old, changes, newPools, resolved, newListeners, rebound, prepared, adminChanged, tokenOnly,
                    newAdmin);
        } finally {
            // Not expected to throw; if it did, no socket it had not put into use (still in prepared) stays bound.
            prepared.values().forEach(chs -> chs.forEach(Channel::close));
        }
    }

    /** Phase 2 of {@link #reload}: applies what phase 1 prepared; nothing here is expected to fail. */
    private ReloadResult commit(Config next, Config old, List<String> changes, Map<String, PoolSupervisor> newPools,
                                Map<String, Map<String, Backend>> resolved, Map<String, ProxyListener> newListeners,
                                Map<String, ProxyListener> rebound, Map<String, List<Channel>> prepared,
                                boolean adminChanged, boolean tokenOnly, AdminServer newAdmin) {
        for (Map.Entry<String, ProxyListener> e : rebound.entrySet()) {
            use(e.getValue(), prepared.remove(e.getKey()));
            changes.add("listener " + e.getKey() + ": rebound to " + next.listeners().get(e.getKey()).bind());
        }
        // The API-touched backends that the API left other than the running file says, as they were;
        // those a later API call put back (drain then enable, add then remove) are no change.
        Map<String, ApiState> apiMade = new LinkedHashMap<>();
        for (String touched : apiTouched) {
            ApiState state = apiState(touched);
            if (differsFromFile(touched, state, old)) {
                apiMade.put(touched, state);
            }
        }
        if (adminChanged) {
            if (tokenOnly) {
                admin.token(next.admin().token());
            } else {
                if (admin != null) {
                    admin.retire(); // after the answer to a reload asked through it, which is still to be sent
                    retiredAdmins.add(admin);
                }
                admin = newAdmin;
            }
            changes.add("admin: " + (admin == null ? "off" : "on " + next.admin().bind()));
        }
        for (Map.Entry<String, PoolSupervisor> e : newPools.entrySet()) {
            pools.put(e.getKey(), e.getValue());
            e.getValue().start(false);
            changes.add("pool " + e.getKey() + ": added");
        }
        publishPools();
        for (PoolConfig pc : next.pools().values()) {
            if (!newPools.containsKey(pc.name())) {
                changes.addAll(pools.get(pc.name()).update(pc, resolved.getOrDefault(pc.name(), Map.of())));
            }
        }
        for (ListenerConfig lc : next.listeners().values()) {
            ProxyListener existing = listeners.get(lc.name());
            if (existing == null) {
                ProxyListener added = newListeners.get(lc.name());
                use(added, prepared.remove(lc.name()));
                listeners.put(lc.name(), added);
                changes.add("listener " + lc.name() + ": added on " + lc.bind());
            } else if (!existing.config().equals(lc)) {
                ListenerConfig before = existing.config();
                existing.update(lc, pools.get(lc.pool()).pool);
                ListenerConfig sameBind = new ListenerConfig(lc.name(), before.bind(), lc.pool(), lc.maxConnections(),
                        lc.idleTimeout(), lc.writeBufferLow(), lc.writeBufferHigh(), lc.edge());
                if (!sameBind.equals(before)) {
                    changes.add("listener " + lc.name() + ": settings changed"
                            + (before.pool().equals(lc.pool()) ? "" : " (pool " + before.pool() + " -> " + lc.pool() + ")"));
                }
            }
        }
        for (String name : new ArrayList<>(listeners.keySet())) {
            if (!next.listeners().containsKey(name)) {
                try {
                    listeners.remove(name).stopAccepting();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                changes.add("listener " + name + ": removed (live connections continue)");
            }
        }
        publishListeners();
        for (String name : new ArrayList<>(pools.keySet())) {
            if (!next.pools().containsKey(name)) {
                pools.remove(name).retire();
                changes.add("pool " + name + ": removed (backends draining)");
            }
        }
        publishPools();
        // The file wins over runtime changes: API-added backends not in the file were removed above,
        // API-removed ones in the file came back; drained or disabled ones are active again.
        // Overridden: what the API made that this reload really changed.
        List<String> overridden = new ArrayList<>();
        for (Map.Entry<String, ApiState> e : apiMade.entrySet()) {
            ApiState was = e.getValue();
            ApiState now = apiState(e.getKey());
            if (was != null && now != null && now.instance() == was.instance() && was.admin() != AdminState.ACTIVE) {
                PoolSupervisor p = pools.get(poolOf(e.getKey()));
                p.pool.enable(was.instance());
                // Names the state the API had set (read before enable() replaced it).
                changes.add("pool " + p.pool.name() + ": backend " + was.instance().id() + " active again (its "
                        + (was.admin() == AdminState.DRAINING ? "drain" : "disable") + " through the API was overridden)");
                overridden.add(e.getKey());
            } else if (!Objects.equals(was, now)) {
                // Removed or added back by the pool update above (its line is in changes already).
                overridden.add(e.getKey());
            }
        }
        apiTouched.clear();
        if (!next.accessLog().equals(old.accessLog())) {
            accessLog.update(next.accessLog());
            changes.add("access-log: " + (next.accessLog().enabled() ? next.accessLog().format().name().toLowerCase(java.util.Locale.ROOT) : "off"));
        }
        config = next;
        // e.g. the file now names the port that port 0 was given: nothing to do.
        ReloadResult.Outcome outcome = changes.isEmpty() ? ReloadResult.Outcome.UNCHANGED : ReloadResult.Outcome.RELOADED;
        return report(new ReloadResult(outcome, changes, List.of(), overridden));
    }

    /**
     * What the operator API decides of a backend: which instance is in the pool (add and remove; compared by
     * identity, as {@code Backend} does), its admin state, and the weight and limit it was added with.
     */
    private record ApiState(Backend instance, AdminState admin, int weight, int maxConnections) {
    }

    private static String poolOf(String touched) {
        return touched.substring(0, touched.indexOf('/'));
    }

    private static String idOf(String touched) {
        return touched.substring(touched.indexOf('/') + 1);
    }

    /** The backend {@code pool/id} as it runs now; null when it is not in the pool (or is being removed). */
    private ApiState apiState(String touched) {
        PoolSupervisor p = pools.get(poolOf(touched));
        Backend b = p == null ? null : p.pool.backend(idOf(touched));
        return b == null || b.removed() ? null : new ApiState(b, b.admin(), b.weight(), b.maxConnections());
    }

    /** True when {@code state} is not what {@code running} says of the backend {@code pool/id}. */
    private static boolean differsFromFile(String touched, ApiState state, Config running) {
        if (state != null && state.admin() != AdminState.ACTIVE) {
            return true;
        }
        PoolConfig pc = running.pools().get(poolOf(touched));
        if (pc == null || pc.discovery() != null) {
            // Discovery, not the file, decides who is in such a pool.
            return false;
        }
        BackendConfig bc = pc.backends().stream().filter(c -> c.id().equals(idOf(touched))).findFirst().orElse(null);
        if (state == null || bc == null) {
            return (state == null) != (bc == null);
        }
        return !state.instance().key().equals(bc.address().toString()) || state.weight() != bc.weight()
                || state.maxConnections() != bc.maxConnections();
    }

    /** True when the listener already listens on {@code bind} (e.g. the file now names the port that port 0 got). */
    private static boolean boundAt(ProxyListener listener, HostPort bind) {
        InetSocketAddress now = listener.localAddress();
        InetSocketAddress wanted = bind.resolve();
        return now != null && !wanted.isUnresolved() && now.equals(wanted);
    }

    private ReloadResult report(ReloadResult r) {
        Counter.builder("weir.reloads").tag("result", r.outcome().name()).description("Config reloads by result")
                .register(metrics.registry()).increment();
        switch (r.outcome()) {
            case RELOADED -> log.info("reload result=RELOADED changes={} summary=\"{}\"", r.changes().size(),
                    String.join("; ", r.changes()));
            case UNCHANGED -> log.info("reload result=UNCHANGED");
            case FAILED -> {
                log.warn("reload result=FAILED errors={} (the running config is kept)", r.errors().size());
                r.errors().forEach(e -> log.warn("reload error: {}", e));
            }
        }
        return r;
    }

    // ---- stop ----

    /**
     * Graceful stop, in this order: stop accepting on every listener; wait for live connections to
     * finish up to {@code shutdown.drain-timeout}; close what is left (reason SHUTDOWN); stop health
     * checks and discovery; shut the event loops down. Returns the number of connections that had
     * to be closed.
     */
    public int shutdown() throws InterruptedException {
        return shutdown(config.shutdown().drainTimeout());
    }

    public int shutdown(Duration drainTimeout) throws InterruptedException {
        List<ProxyListener> all;
        List<PoolSupervisor> allPools;
        synchronized (this) {
            stopping = true;
            all = new ArrayList<>(listeners.values());
            allPools = new ArrayList<>(pools.values());
        }
        for (ProxyListener l : all) {
            l.stopAccepting();
        }
        int live = all.stream().mapToInt(ProxyListener::activeConnections).sum();
        log.info("shutdown started live_connections={} drain_timeout={}", live, drainTimeout);
        long deadline = System.nanoTime() + drainTimeout.toNanos();
        for (ProxyListener l : all) {
            l.awaitIdle(deadline);
        }
        int left = all.stream().mapToInt(ProxyListener::openConnections).sum();
        for (ProxyListener l : all) {
            l.closeAll(CloseReason.SHUTDOWN);
        }
        allPools.forEach(PoolSupervisor::close);
        AdminServer a;
        synchronized (this) {
            a = admin;
            admin = null;
        }
        if (a != null) {
            a.close();
        }
        List<AdminServer> retired;
        synchronized (this) {
            retired = new ArrayList<>(retiredAdmins);
            retiredAdmins.clear();
        }
        retired.forEach(AdminServer::close);
        // Calls still queued run and find the proxy stopping; each answers (or releases) its request.
        controlThread.shutdown();
        if (!controlThread.awaitTermination(5, TimeUnit.SECONDS)) {
            log.warn("shutdown: the control thread is still busy (a reload?) after 5 s");
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        log.info("shutdown complete closed_at_deadline={}", left);
        return left;
    }

    /** Immediate stop: closes listeners and connections without waiting. */
    @Override
    public void close() {
        try {
            shutdown(Duration.ZERO);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
