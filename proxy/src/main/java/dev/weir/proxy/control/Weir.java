package dev.weir.proxy.control;

import dev.weir.proxy.admin.AdminServer;
import dev.weir.proxy.api.BackendStatus;
import dev.weir.proxy.api.CertificateStatus;
import dev.weir.proxy.api.ConnectionList;
import dev.weir.proxy.api.ProxyControl;
import dev.weir.proxy.api.ReloadResult;
import dev.weir.proxy.api.StartException;
import dev.weir.proxy.api.StatusFeed;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.backend.connect.BackendConnector;
import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.Units;
import dev.weir.proxy.metrics.AccessLog;
import dev.weir.proxy.metrics.CloseReason;
import dev.weir.proxy.metrics.ProxyMetrics;
import dev.weir.proxy.relay.ProxyListener;
import dev.weir.proxy.tls.ServerTls;
import dev.weir.proxy.tls.TlsProviders;
import dev.weir.proxy.transport.EpollInterest;
import dev.weir.proxy.transport.Transport;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running proxy: its event loops and meters, what runs ({@link Registry}), and its lifecycle. Build one with
 * {@link #start}; stop it with {@link #shutdown} (graceful) or {@link #close}. Changes are the operator API's
 * ({@link OperatorApi}) and reload's ({@link Reloader}).
 *
 * <p>Thread rule: every change runs on the control thread ({@link Control}). The public methods that change or
 * list state hop there and wait when called from elsewhere (tests, SIGHUP, the file watcher), and run at once
 * when called there (the admin endpoint's API calls); none may be called from an event loop. The readers that
 * say "never waits" read published state, from any thread.
 */
public final class Weir implements ProxyControl, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Weir.class);

    private final Transport transport;
    private final EventLoopGroup group;
    private final Control control = new Control();
    private final ProxyMetrics metrics;
    private final ProxyParts parts;
    private final Registry registry;
    private final OperatorApi api;
    private final Inventory inventory;
    private final Reloader reloader;
    private final StatusBoard status;
    private volatile boolean ready;
    private volatile boolean stopping;
    private final AtomicBoolean stopped = new AtomicBoolean();

    private Weir(Config config, Transport transport, MeterRegistry registry, Path configFile) {
        this.transport = transport;
        // The admin endpoint scrapes a Prometheus registry; a caller's other registry (tests) sees the same meters.
        PrometheusMeterRegistry prometheus;
        if (registry instanceof PrometheusMeterRegistry p) {
            prometheus = p;
            this.metrics = new ProxyMetrics(registry);
        } else {
            prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            this.metrics = new ProxyMetrics(new CompositeMeterRegistry(Clock.SYSTEM, List.of(registry, prometheus)));
        }
        int threads = config.eventLoopThreads() > 0 ? config.eventLoopThreads() : Runtime.getRuntime().availableProcessors();
        this.group = transport.newGroup(threads, "weir-loop", config.eventLoopSpin());
        if (transport == Transport.EPOLL) {
            EpollInterest.active();   // a warning now, at start, if the epoll workaround cannot apply
        }
        this.registry = new Registry(config);
        BackendConnector connector = new BackendConnector(transport, Transport.reads(config.maxRead()), metrics);
        this.parts = new ProxyParts(transport, group, group.next(), control, connector, metrics,
                new AccessLog(config.accessLog(), metrics.registry()), prometheus, this.registry::poolNamed,
                new TlsProviders(config.tlsProvider(), metrics.registry()), new EventLog(System::currentTimeMillis));
        this.api = new OperatorApi(this.registry, control);
        this.inventory = new Inventory(this.registry);
        this.reloader = new Reloader(this.registry, parts, api, this, config, configFile, () -> stopping);
        this.status = new StatusBoard(control, this.registry, parts.events(), transport.name(), metrics.registry());
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
        TlsProviders.check(config.tlsProvider());
        String passedOver = Transport.unavailabilityReport(transport);
        Duration spinning = transport.spin(config.eventLoopSpin());
        String spin = spinning.isZero() ? "off" : Units.formatMicroseconds(spinning);
        log.info("transport chosen transport={} requested={} event_loop_spin={}{}", transport,
                config.transport().yamlName(), spin, passedOver.isEmpty() ? "" : " unavailable: " + passedOver);
        Weir weir = new Weir(config, transport, registry, configFile);
        try {
            weir.control.call(weir::build);
            return weir;
        } catch (StartException | RuntimeException e) {
            weir.close();
            throw e;
        }
    }

    /** On the control thread: pools, listeners, the admin endpoint, then health checks and discovery. */
    private Void build() throws StartException {
        try {
            buildParts();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartException("interrupted while starting", e);
        }
        return null;
    }

    private void buildParts() throws StartException, InterruptedException {
        registry.startAll(parts, this);
        // Per-client tables forget idle sources, so their memory stays bounded.
        group.next().scheduleAtFixedRate(() -> {
            for (ProxyListener l : registry.listenersNow().values()) {
                l.sweepClients();
            }
        }, 10, 10, TimeUnit.SECONDS);
        // Session ticket keys rotate where the listeners they belong to are changed: on the control thread.
        control.executor().scheduleAtFixedRate(this::rotateTicketKeys, 1, 1, TimeUnit.SECONDS);
        reloader.started();
        status.start();
        // JVM, process and Netty meters: ~100 ms of class loading, so after the listeners accept.
        metrics.bindRuntime(group);
        metrics.bindLoops(group, registry::connectionsOn);
        ready = true;
    }

    /** On the control thread: each terminating listener makes a new ticket key when its rotate period is up. */
    private void rotateTicketKeys() {
        long now = System.nanoTime();
        for (ProxyListener l : registry.listeners.values()) {
            ServerTls tls = l.tls();
            if (tls != null) {
                tls.rotateTicketKeysIfDue(now);
            }
        }
    }

    // ---- readers that never wait ----

    /** The admin endpoint's address; null when it is off. */
    public InetSocketAddress adminAddress() {
        AdminServer a = registry.admin;
        return a == null ? null : a.address();
    }

    @Override
    public boolean isReady() {
        return ready && !stopping;
    }

    @Override
    public boolean isStopping() {
        return stopping;
    }

    @Override
    public Config config() {
        return registry.inEffect();
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

    @Override
    public Executor controlExecutor() {
        return control.executor();
    }

    @Override
    public InetSocketAddress listenerAddress(String listener) {
        ProxyListener l = registry.listenersNow().get(listener);
        if (l == null) {
            throw new NoSuchElementException("no listener \"" + listener + "\"");
        }
        return l.localAddress();
    }

    /** Live client connections over all listeners. */
    public int activeConnections() {
        return registry.listenersNow().values().stream().mapToInt(ProxyListener::activeConnections).sum();
    }

    /** Bytes held in Weir's output queues for all live connections (status and tests). */
    public long bufferedBytes() {
        return registry.listenersNow().values().stream().mapToLong(ProxyListener::bufferedBytes).sum();
    }

    // ---- on the control thread ----

    @Override
    public List<String> poolNames() {
        return control.call(() -> List.copyOf(registry.pools.keySet()));
    }

    /** The pool's live state; throws NoSuchElementException for an unknown pool. */
    public BackendPool pool(String name) {
        return control.call(() -> registry.pool(name).pool);
    }

    @Override
    public List<BackendStatus> backends(String pool) {
        return control.call(() -> api.backends(pool));
    }

    @Override
    public void drain(String pool, String id) {
        control.run(() -> api.drain(pool, id));
    }

    @Override
    public void disable(String pool, String id) {
        control.run(() -> api.disable(pool, id));
    }

    @Override
    public void enable(String pool, String id) {
        control.run(() -> api.enable(pool, id));
    }

    @Override
    public BackendStatus addBackend(String pool, String address, int weight, String name) {
        return control.call(() -> api.addBackend(pool, address, weight, name));
    }

    @Override
    public void removeBackend(String pool, String id) {
        control.run(() -> api.removeBackend(pool, id));
    }

    @Override
    public ConnectionList connections(String listener, int limit) {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: 1..1000)");
        }
        return control.call(() -> inventory.connections(listener, limit));
    }

    @Override
    public List<CertificateStatus> certificates() {
        return control.call(inventory::certificates);
    }

    @Override
    public ReloadResult reloadFromFile() {
        return control.call(reloader::reloadFromFile);
    }

    @Override
    public StatusFeed status() {
        return status;
    }

    /** Applies {@code next} in place; FAILED, with nothing changed, when anything that can fail does. */
    public ReloadResult reload(Config next) {
        return control.call(() -> reloader.reload(next));
    }

    // ---- stop ----

    /**
     * Graceful stop, in this order: stop accepting on every listener; wait for live connections to
     * finish up to {@code shutdown.drain-timeout}; close what is left (reason SHUTDOWN); stop health
     * checks and discovery; close the admin endpoints; run what the control thread still has queued
     * and stop it; shut the event loops down; write the access-log lines still queued. Returns the
     * number of connections that had to be closed. A second call does nothing and returns 0.
     */
    public int shutdown() throws InterruptedException {
        return shutdown(registry.config().shutdown().drainTimeout());
    }

    public int shutdown(Duration drainTimeout) throws InterruptedException {
        if (!stopped.compareAndSet(false, true)) {
            return 0;
        }
        List<ProxyListener> all = control.call(() -> {
            stopping = true;
            return List.copyOf(registry.listeners.values());
        });
        for (ProxyListener l : all) {
            l.stopAccepting();
        }
        int live = all.stream().mapToInt(ProxyListener::activeConnections).sum();
        log.info("shutdown started live_connections={} drain_timeout={}", live, Units.formatDuration(drainTimeout));
        long deadline = System.nanoTime() + drainTimeout.toNanos();
        for (ProxyListener l : all) {
            l.awaitIdle(deadline);
        }
        int left = all.stream().mapToInt(ProxyListener::openConnections).sum();
        for (ProxyListener l : all) {
            l.closeAll(CloseReason.SHUTDOWN);
        }
        List<AdminServer> admins = control.call(() -> {
            reloader.stop();
            return registry.closePools();
        });
        admins.forEach(AdminServer::close);
        // Calls still queued run and find the proxy stopping; each answers (or releases) its request.
        if (!control.stop(5)) {
            log.warn("shutdown: the control thread is still busy (a reload?) after 5 s");
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        parts.accessLog().close();   // after the loops: every line of a closed connection is queued
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
