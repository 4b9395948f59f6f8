package dev.weir.proxy.relay;

import dev.weir.proxy.api.ConnectionList;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.backend.connect.BackendConnector;
import dev.weir.proxy.config.EdgeConfig;
import dev.weir.proxy.config.ListenerConfig;
import dev.weir.proxy.metrics.AccessLog;
import dev.weir.proxy.metrics.CloseReason;
import dev.weir.proxy.metrics.ProxyMetrics;
import dev.weir.proxy.tls.ServerTls;
import dev.weir.proxy.transport.Transport;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listener: its sockets ({@link Acceptor}), who it takes ({@link Admission}), its live connections
 * ({@link LiveConnections}) and what it reports ({@link ListenerTelemetry}); each accepted client is proxied to
 * its pool through a {@link Frontend}. A reload may change its settings, its pool, or its address (rebound: the
 * new socket is bound before the old one closes); live connections keep what they started with.
 *
 * <p>Thread rule: the control thread binds, updates and stops it; its {@link ListenerContext} side runs on every
 * event loop at once and reads only volatile, immutable settings.
 */
public final class ProxyListener implements ListenerContext {

    private static final Logger log = LoggerFactory.getLogger(ProxyListener.class);

    private final String name;
    private final Transport transport;
    private final BackendConnector connector;
    private final Function<String, BackendPool> pools;
    private final Admission admission;
    private final LiveConnections live = new LiveConnections();
    private final ListenerTelemetry telemetry;
    private final Acceptor acceptor;
    private volatile ListenerConfig config;
    /** The config's write-buffer bounds, one immutable instance shared by every channel. */
    private volatile WriteBufferWaterMark waterMark;
    private volatile BackendPool pool;
    /** The TLS it terminates; null = bytes pass through. */
    private volatile ServerTls tls;

    /**
     * @param pools finds a pool by name (SNI routes name pools); null for an unknown name
     * @param tls   the TLS it terminates, loaded from {@code config.tls()}; null when that is absent
     */
    public ProxyListener(ListenerConfig config, BackendPool pool, Function<String, BackendPool> pools,
                         EventLoopGroup group, Transport transport, BackendConnector connector, ProxyMetrics metrics,
                         AccessLog accessLog, ServerTls tls) {
        this.pools = pools;
        this.tls = tls;
        this.admission = new Admission(config.edge());
        this.name = config.name();
        this.config = config;
        this.waterMark = new WriteBufferWaterMark(config.writeBufferLow(), config.writeBufferHigh());
        this.pool = pool;
        this.transport = transport;
        this.connector = connector;
        this.telemetry = new ListenerTelemetry(name, metrics, accessLog, metrics.listener(name, live::active));
        if (tls != null) {
            telemetry.certificates(tls.certificates());
        }
        // One limiter per server channel (its accept pause is per socket); the count is shared.
        this.acceptor = new Acceptor(name, group, transport, connector.reads(),
                () -> new ConnectionLimiter(name, () -> this.config.maxConnections(), live.acceptedCounter(),
                        () -> telemetry.limitReached(this.pool.name())),
                new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        pipeline(ch);
                    }
                });
    }

    /** An accepted client's handlers, for the settings in force when it came. */
    private void pipeline(Channel ch) {
        ListenerConfig cfg = config;
        ch.config().setWriteBufferWaterMark(waterMark);
        EdgeConfig edge = cfg.edge();
        if (edge.proxyProtocol() != null) {
            ch.pipeline().addLast("proxy-decoder", new HAProxyMessageDecoder(edge.proxyProtocol().maxTlvBytes()));
            ch.pipeline().addLast("proxy-header", new ProxyHeaderReader());
        }
        if (edge.sni() != null) {
            ch.pipeline().addLast("sni", new SniPeek(edge.sni()));
        }
        ServerTls terminating = tls;
        if (terminating != null) {
            ch.pipeline().addFirst(CloseNotifyGuard.NAME, new CloseNotifyGuard());
            ch.pipeline().addLast(SniPeek.TLS_HANDLER, terminating.newHandler());
        }
        ch.pipeline().addLast("frontend", new Frontend(this, edge, terminating != null));
    }

    public String name() {
        return name;
    }

    public ListenerConfig config() {
        return config;
    }

    public BackendPool pool() {
        return pool;
    }

    /** The TLS it terminates now; null = none. */
    public ServerTls tls() {
        return tls;
    }

    /** New certificates (or TLS settings) for connections accepted from now on; null = no termination. */
    public void tls(ServerTls next) {
        this.tls = next;
        telemetry.certificates(next == null ? List.of() : next.certificates());
    }

    /** New settings and pool for connections accepted from now on. */
    public void update(ListenerConfig config, BackendPool pool) {
        this.config = config;
        this.waterMark = new WriteBufferWaterMark(config.writeBufferLow(), config.writeBufferHigh());
        this.pool = pool;
        admission.update(config.edge());
    }

    // ---- sockets ----

    /** Binds {@code address} and accepts there; returns once bound (or throws with the OS's reason). */
    public void bind(InetSocketAddress address) throws InterruptedException {
        use(bindNew(address));
    }

    /** Sockets bound at {@code address}, not accepting yet (a reload's prepare step); see {@link #use}. */
    public List<Channel> bindNew(InetSocketAddress address) throws InterruptedException {
        return acceptor.bindNew(address);
    }

    /** Accepts on {@code bound} (from {@link #bindNew}) from now on, and stops accepting where it did before. */
    public void use(List<Channel> bound) throws InterruptedException {
        List<Channel> previous = acceptor.use(bound);
        InetSocketAddress local = localAddress();
        log.info("listener bound listener={} address={}:{} pool={} max_connections={} acceptors={}", name,
                local.getAddress().getHostAddress(), local.getPort(), pool.name(), config.maxConnections(), bound.size());
        Acceptor.close(previous);
    }

    public InetSocketAddress localAddress() {
        return acceptor.localAddress();
    }

    /** Stops accepting; live connections go on. */
    public void stopAccepting() throws InterruptedException {
        acceptor.stopAccepting();
    }

    // ---- live connections ----

    /** Live client connections. */
    public int activeConnections() {
        return live.active();
    }

    /** Live connections served by {@code loop}: counted when asked (a scrape), nothing on the connection path. */
    public int connectionsOn(EventLoop loop) {
        return live.on(loop);
    }

    /** Connections whose client socket is still open (exact at shutdown, unlike the accept counter). */
    public int openConnections() {
        return live.open();
    }

    /** Bytes held in Weir's output queues for this listener's connections (read racily; for tests and status). */
    public long bufferedBytes() {
        return live.bufferedBytes();
    }

    /**
     * Up to {@code limit} live connections, the oldest first, with the total; each is read on its own event loop,
     * which have {@code waitMillis} together to answer. From any thread but an event loop (it waits for them).
     */
    public ConnectionList connections(int limit, long waitMillis) {
        return live.list(limit, waitMillis);
    }

    /** Closes every live connection with {@code reason}; returns when all are closed. */
    public void closeAll(CloseReason reason) throws InterruptedException {
        live.closeAll(reason);
    }

    /** Waits until no connection is live or the deadline (System.nanoTime) passes; true if none is left. */
    public boolean awaitIdle(long deadlineNanos) throws InterruptedException {
        return live.awaitIdle(deadlineNanos);
    }

    /** Sources tracked by the per-client limiter (bounded; for tests and status). */
    public int trackedClients() {
        return admission.trackedClients();
    }

    /** Drops idle per-client entries; the proxy calls it periodically. */
    public void sweepClients() {
        admission.sweep();
    }

    // ---- what a connection asks (ListenerContext), on its event loop ----

    @Override
    public Connection opened(Channel client) {
        telemetry.meters().opened().increment();
        Connection conn = new Connection(this, pool, client, config.idleTimeout().toNanos());
        live.add(conn);
        IdleSweeper.of(client.eventLoop()).add(conn);
        client.closeFuture().addListener(conn);
        return conn;
    }

    @Override
    public void closed(Connection conn) {
        live.remove(conn);
        IdleSweeper.of(conn.eventLoop()).remove(conn);
        // Finish after the current event: a decoder that closes the channel and then throws
        // (the PROXY decoder does) has its reason recorded by then, instead of CLIENT_CLOSED.
        try {
            conn.eventLoop().execute(conn::finish);
        } catch (RejectedExecutionException stopping) {
            conn.finish();
        }
    }

    @Override
    public CloseReason admit(Connection conn) {
        return admission.admit(conn);
    }

    @Override
    public void release(InetAddress clientIp) {
        admission.release(clientIp);
    }

    @Override
    public ListenerTelemetry telemetry() {
        return telemetry;
    }

    @Override
    public BackendConnector.Attempt connect(Channel client, InetAddress clientIp, BackendPool target, Frontend frontend) {
        return connector.connect(client, clientIp, target, waterMark, frontend);
    }

    @Override
    public BackendPool poolNamed(String name) {
        return pools.apply(name);
    }
}
