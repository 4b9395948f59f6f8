package dev.weir.proxy.relay;

import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.config.Cidr;
import dev.weir.proxy.config.EdgeConfig;
import dev.weir.proxy.metrics.CloseReason;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import dev.weir.proxy.config.ListenerConfig;
import dev.weir.proxy.metrics.AccessLog;
import dev.weir.proxy.metrics.ProxyMetrics;
import dev.weir.proxy.transport.Transport;
import dev.weir.proxy.backend.connect.BackendConnector;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listener: accepts clients, enforces max-connections, and proxies each accepted client to its
 * pool through a {@link Frontend}. Keeps the live connections so shutdown can drain them. A reload
 * may change its settings, its pool, or its address (rebound: the new socket is bound before the
 * old one closes); live connections keep what they started with.
 */
public final class ProxyListener {

    private static final Logger log = LoggerFactory.getLogger(ProxyListener.class);

    private final String name;
    private final EventLoopGroup group;
    private final Transport transport;
    private final BackendConnector connector;
    private final Set<Connection> live = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final Function<String, BackendPool> pools;
    private final PerClientLimiter perClient;
    private final ListenerTelemetry telemetry;
    private volatile ListenerConfig config;
    /** The config's write-buffer bounds, one immutable instance shared by every channel. */
    private volatile WriteBufferWaterMark waterMark;
    private volatile BackendPool pool;
    private volatile List<Channel> serverChannels = List.of();

    /**
     * @param pools finds a pool by name (SNI routes name pools); null for an unknown name
     */
    public ProxyListener(ListenerConfig config, BackendPool pool, Function<String, BackendPool> pools,
                         EventLoopGroup group, Transport transport, BackendConnector connector, ProxyMetrics metrics,
                         AccessLog accessLog) {
        this.pools = pools;
        this.perClient = new PerClientLimiter(config.edge().perClient());
        this.name = config.name();
        this.config = config;
        this.waterMark = new WriteBufferWaterMark(config.writeBufferLow(), config.writeBufferHigh());
        this.pool = pool;
        this.group = group;
        this.transport = transport;
        this.connector = connector;
        this.telemetry = new ListenerTelemetry(name, metrics, accessLog, metrics.listener(name, accepted::get));
    }

    ListenerTelemetry telemetry() {
        return telemetry;
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

    /** New settings and pool for connections accepted from now on. */
    public void update(ListenerConfig config, BackendPool pool) {
        this.config = config;
        this.waterMark = new WriteBufferWaterMark(config.writeBufferLow(), config.writeBufferHigh());
        this.pool = pool;
        perClient.update(config.edge().perClient());
    }

    /** See {@link Transport#seesHangupWithoutReading()}. */
    boolean seesHangupWithoutReading() {
        return transport.seesHangupWithoutReading();
    }

    BackendConnector.Attempt connect(Channel client, InetAddress clientIp, BackendPool target, Frontend frontend) {
        return connector.connect(client, clientIp, target, waterMark, frontend);
    }

    BackendPool poolNamed(String name) {
        return pools.apply(name);
    }

    static boolean anyContains(List<Cidr> blocks, InetAddress ip) {
        for (Cidr c : blocks) {
            if (c.contains(ip)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The access lists (deny wins; a non-empty allow list admits only its blocks), then the
     * per-client limits, on the real client's address. Null = admitted.
     */
    CloseReason admit(Connection conn) {
        EdgeConfig edge = config.edge();
        InetAddress ip = conn.clientAddress.getAddress();
        if (anyContains(edge.deny(), ip) || (!edge.allow().isEmpty() && !anyContains(edge.allow(), ip))) {
            return CloseReason.ACL_DENIED;
        }
        CloseReason limit = perClient.admit(ip);
        if (limit == null && edge.perClient() != null) {
            conn.limited();
        }
        return limit;
    }

    void releaseClient(InetAddress ip) {
        perClient.release(ip);
    }

    /** Sources tracked by the per-client limiter (bounded; for tests and status). */
    public int trackedClients() {
        return perClient.size();
    }

    /** Drops idle per-client entries; the proxy calls it periodically. */
    public void sweepClients() {
        perClient.sweep();
    }

    /** Binds {@code address} and accepts there; returns once bound (or throws with the OS's reason). */
    public void bind(InetSocketAddress address) throws InterruptedException {
        use(bindNew(address));
    }

    /**
     * Binds {@code address} without accepting there yet (a reload's prepare step): the sockets listen, clients
     * that come meanwhile wait in the kernel's backlog, and the caller either {@link #use}s them or closes them.
     * Throws with the OS's reason, having closed what it bound.
     */
    public List<Channel> bindNew(InetSocketAddress address) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.AUTO_READ, false) // accepting starts in use()
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // One limiter per server channel (its accept pause is per socket); the count is shared.
                        ch.pipeline().addLast("limit", new ConnectionLimiter(name, () -> config.maxConnections(),
                                accepted, () -> telemetry.limitReached(pool.name())));
                    }
                })
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, connector.reads())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
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
                        ch.pipeline().addLast("frontend", new Frontend(ProxyListener.this, edge));
                    }
                });
        // SO_REUSEPORT: one accepting socket per event loop, so accepting is spread over the loops
        // instead of funnelled through one thread (the kernel balances new connections between them).
        int acceptors = 0;
        for (var ignored : group) {
            acceptors++;
        }
        if (acceptors > 1) {
            transport.reusePort(b);
        }
        List<Channel> bound = new java.util.ArrayList<>();
        InetSocketAddress at = address;
        for (int i = 0; i < acceptors; i++) {
            ChannelFuture f = b.bind(at).await();
            if (!f.isSuccess()) {
                bound.forEach(Channel::close); // all of them, even if this thread is interrupted meanwhile
                for (Channel c : bound) {
                    c.closeFuture().awaitUninterruptibly();
                }
                throw new IllegalStateException("listeners." + name + ".bind: cannot bind " + address.getAddress().getHostAddress()
                        + ":" + address.getPort() + " (" + f.cause().getMessage() + ")", f.cause());
            }
            bound.add(f.channel());
            // Port 0: the others join the port the first one got.
            at = new InetSocketAddress(address.getAddress(), ((InetSocketAddress) f.channel().localAddress()).getPort());
        }
        return bound;
    }

    /** Accepts on {@code bound} (from {@link #bindNew}) from now on, and stops accepting where it did before. */
    public void use(List<Channel> bound) throws InterruptedException {
        List<Channel> previous = serverChannels;
        serverChannels = List.copyOf(bound);
        for (Channel c : bound) {
            c.config().setAutoRead(true);
        }
        InetSocketAddress local = localAddress();
        log.info("listener bound listener={} address={}:{} pool={} max_connections={} acceptors={}", name,
                local.getAddress().getHostAddress(), local.getPort(), pool.name(), config.maxConnections(), bound.size());
        previous.forEach(Channel::close);
        for (Channel c : previous) {
            c.closeFuture().awaitUninterruptibly();
        }
    }

    public InetSocketAddress localAddress() {
        List<Channel> chs = serverChannels;
        return chs.isEmpty() ? null : (InetSocketAddress) chs.get(0).localAddress();
    }

    /** Stops accepting; live connections go on. */
    public void stopAccepting() throws InterruptedException {
        for (Channel ch : serverChannels) {
            ch.close().await();
        }
    }

    /** Live client connections. */
    public int activeConnections() {
        return accepted.get();
    }

    /** Connections whose client socket is still open (exact at shutdown, unlike the accept counter). */
    public int openConnections() {
        int n = 0;
        for (Connection c : live) {
            if (c.client.isOpen()) {
                n++;
            }
        }
        return n;
    }

    /** Bytes held in Weir's output queues for this listener's connections (read racily; for tests and status). */
    public long bufferedBytes() {
        long sum = 0;
        for (Connection c : live) {
            sum += c.bufferedBytes();
        }
        return sum;
    }

    /** Closes every live connection with {@code reason}; returns when all are closed. */
    public void closeAll(CloseReason reason) throws InterruptedException {
        for (Connection c : live) {
            c.client.eventLoop().execute(() -> c.close(reason));
        }
        for (Connection c : live) {
            c.client.closeFuture().await();
        }
    }

    /** Waits until no connection is live or the deadline (System.nanoTime) passes; true if none is left. */
    public boolean awaitIdle(long deadlineNanos) throws InterruptedException {
        for (Connection c : live) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0 || !c.client.closeFuture().await(TimeUnit.NANOSECONDS.toMillis(left) + 1)) {
                return live.isEmpty();
            }
        }
        return live.isEmpty();
    }

    Connection opened(Channel client) {
        telemetry.meters().opened().increment();
        Connection conn = new Connection(this, pool, client, config.idleTimeout().toNanos());
        live.add(conn);
        IdleSweeper.of(client.eventLoop()).add(conn);
        client.closeFuture().addListener(conn);
        return conn;
    }

    /** The client channel of {@code conn} closed. */
    void closed(Connection conn) {
        live.remove(conn);
        IdleSweeper.of(conn.client.eventLoop()).remove(conn);
        // Finish after the current event: a decoder that closes the channel and then throws
        // (the PROXY decoder does) has its reason recorded by then, instead of CLIENT_CLOSED.
        try {
            conn.client.eventLoop().execute(conn::finish);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            conn.finish();
        }
    }
}
