package dev.weir.proxy;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.config.BackendConfig;
import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ListenerConfig;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.metrics.ProxyMetrics;
import dev.weir.proxy.relay.CloseReason;
import dev.weir.proxy.relay.ProxyListener;
import dev.weir.proxy.transport.Transport;
import dev.weir.proxy.upstream.UpstreamConnector;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running proxy: wires config, pools, listeners and event loops, and owns their lifecycle.
 * Build one with {@link #start}; stop it with {@link #shutdown} (graceful) or {@link #close}.
 */
public final class Weir implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Weir.class);

    private final Config config;
    private final Transport transport;
    private final EventLoopGroup group;
    private final ProxyMetrics metrics;
    private final Map<String, BackendPool> pools = new LinkedHashMap<>();
    private final Map<String, ProxyListener> listeners = new LinkedHashMap<>();
    private volatile boolean stopping;

    private Weir(Config config, Transport transport, MeterRegistry registry) {
        this.config = config;
        this.transport = transport;
        this.metrics = new ProxyMetrics(registry);
        int threads = config.eventLoopThreads() > 0 ? config.eventLoopThreads() : Runtime.getRuntime().availableProcessors();
        this.group = transport.newGroup(threads, "weir-loop");
    }

    /**
     * Starts the proxy: resolves backend addresses (here, before any event loop needs them), then
     * binds every listener. On any failure what was started is closed again and the cause thrown.
     *
     * @throws StartException with a message naming the config path when something cannot start
     */
    public static Weir start(Config config, MeterRegistry registry) throws StartException {
        Transport transport;
        try {
            transport = Transport.choose(config.transport());
        } catch (Transport.UnavailableException e) {
            throw new StartException(e.getMessage(), e);
        }
        String passedOver = Transport.unavailabilityReport();
        log.info("transport chosen transport={} requested={}{}", transport, config.transport().yamlName(),
                passedOver.isEmpty() ? "" : " unavailable: " + passedOver);
        Weir weir = new Weir(config, transport, registry);
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

    private void build() throws StartException, InterruptedException {
        for (PoolConfig pc : config.pools().values()) {
            List<Backend> backends = new ArrayList<>();
            for (int i = 0; i < pc.backends().size(); i++) {
                BackendConfig bc = pc.backends().get(i);
                InetSocketAddress resolved = bc.address().resolve();
                if (resolved.isUnresolved()) {
                    throw new StartException("pools." + pc.name() + ".backends[" + i + "].address: cannot resolve \""
                            + bc.address().host() + "\"", new UnknownHostException(bc.address().host()));
                }
                backends.add(new Backend(bc.id(), bc.address().toString(), resolved, bc.weight()));
            }
            pools.put(pc.name(), new BackendPool(pc.name(), pc.balance(), backends));
        }
        for (ListenerConfig lc : config.listeners().values()) {
            PoolConfig pc = config.pools().get(lc.pool());
            UpstreamConnector connector = new UpstreamConnector(pools.get(lc.pool()), transport, pc.connectTimeout(),
                    pc.connectAttempts(), new WriteBufferWaterMark(lc.writeBufferLow(), lc.writeBufferHigh()), metrics);
            ProxyListener listener = new ProxyListener(lc, connector, metrics);
            InetSocketAddress bind = lc.bind().resolve();
            if (bind.isUnresolved()) {
                throw new StartException("listeners." + lc.name() + ".bind: cannot resolve \"" + lc.bind().host() + "\"", null);
            }
            try {
                listener.bind(group, transport, bind);
            } catch (IllegalStateException e) {
                throw new StartException(e.getMessage(), e.getCause());
            }
            listeners.put(lc.name(), listener);
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

    /** The bound address of a listener (the real port when the config said port 0). */
    public InetSocketAddress listenerAddress(String listener) {
        ProxyListener l = listeners.get(listener);
        if (l == null) {
            throw new IllegalArgumentException("no listener " + listener);
        }
        return l.localAddress();
    }

    public BackendPool pool(String name) {
        return pools.get(name);
    }

    /** Live client connections over all listeners. */
    public int activeConnections() {
        return listeners.values().stream().mapToInt(ProxyListener::activeConnections).sum();
    }

    /** Bytes held in Weir's output queues for all live connections (status and tests). */
    public long bufferedBytes() {
        return listeners.values().stream().mapToLong(ProxyListener::bufferedBytes).sum();
    }

    public boolean isStopping() {
        return stopping;
    }

    /**
     * Graceful stop, in this order: stop accepting on every listener; wait for live connections to
     * finish up to {@code shutdown.drain-timeout}; close what is left (reason SHUTDOWN); shut the
     * event loops down. Returns the number of connections that had to be closed.
     */
    public int shutdown() throws InterruptedException {
        return shutdown(config.shutdown().drainTimeout());
    }

    public int shutdown(Duration drainTimeout) throws InterruptedException {
        stopping = true;
        for (ProxyListener l : listeners.values()) {
            l.stopAccepting().await();
        }
        int live = activeConnections();
        log.info("shutdown started live_connections={} drain_timeout={}", live, drainTimeout);
        long deadline = System.nanoTime() + drainTimeout.toNanos();
        for (ProxyListener l : listeners.values()) {
            l.awaitIdle(deadline);
        }
        int left = activeConnections();
        for (ProxyListener l : listeners.values()) {
            l.closeAll(CloseReason.SHUTDOWN);
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        log.info("shutdown complete closed_at_deadline={}", left);
        return left;
    }

    /** Immediate stop: closes listeners and connections without waiting. */
    @Override
    public void close() {
        stopping = true;
        try {
            shutdown(Duration.ZERO);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Something in a valid config cannot start here (port in use, unresolvable host, transport). */
    public static final class StartException extends Exception {
        public StartException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
