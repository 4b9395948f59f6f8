package dev.weir.proxy.backend.connect;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.config.KeepAliveConfig;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.metrics.ProxyMetrics;
import dev.weir.proxy.metrics.CloseReason;
import dev.weir.proxy.tls.ClientTls;
import dev.weir.proxy.transport.EpollInterest;
import dev.weir.proxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connects a client to a backend of a pool: picks, connects on the client's own event loop with
 * the pool's connect-timeout, and on failure tries another backend up to connect-attempts. It runs
 * before any client byte is forwarded, so a retry can never duplicate data. Connect results feed
 * the pool's passive health.
 */
public final class BackendConnector {

    private static final Logger log = LoggerFactory.getLogger(BackendConnector.class);

    /** What the caller does with the outcome. Called on the client's event loop. */
    public interface Callback {
        /**
         * The backend channel is connected (autoRead off); the caller owns it and the backend's count.
         * {@code banner}: bytes the backend sent before the client came (a pre-connected socket), to
         * be sent to the client first; the caller owns them. Empty for a fresh connect.
         */
        void connected(Channel backendChannel, Backend backend, List<ByteBuf> banner);

        void failed(CloseReason reason);

        /** One try failed, its cause in words ({@code connection refused}); another may follow. */
        default void tryFailed(String cause) {
        }

        /**
         * A fresh socket of a pool with {@code tls} is connected and its handshake about to start: what must go to
         * the backend before the ClientHello (a PROXY header) is written here, in plaintext.
         */
        default void beforeHandshake(Channel backendChannel) {
        }
    }

    private final Transport transport;
    private final RecvByteBufAllocator reads;
    private final ProxyMetrics metrics;
    private final Map<BackendPool, WarmConnections> warmPools = new ConcurrentHashMap<>();
    private final Map<BackendPool, ClientTls> tlsPools = new ConcurrentHashMap<>();
    private final Set<ChannelOption<?>> refusedOptions = ConcurrentHashMap.newKeySet();

    /** @param reads the receive-buffer sizer of every proxied channel (see {@link Transport#reads}) */
    public BackendConnector(Transport transport, RecvByteBufAllocator reads, ProxyMetrics metrics) {
        this.transport = transport;
        this.reads = reads;
        this.metrics = metrics;
    }

    /** The receive-buffer sizer for proxied channels, client and backend sides alike. */
    public RecvByteBufAllocator reads() {
        return reads;
    }

    /** A pool's backend-socket options, for the config they were built from. */
    private record CachedOptions(PoolConfig config, Map.Entry<ChannelOption<?>, Object>[] options) {
    }

    /** Per event loop thread, so no locking: one option list per pool, rebuilt when the pool's config changes. */
    private final FastThreadLocal<IdentityHashMap<BackendPool, CachedOptions>> optionsByPool = new FastThreadLocal<>() {
        @Override
        protected IdentityHashMap<BackendPool, CachedOptions> initialValue() {
            return new IdentityHashMap<>();
        }
    };

    /**
     * The socket options of {@code pool}'s backend channels. A {@link Bootstrap} collects them (it knows
     * each transport's keep-alive options), but channels are made without it: Bootstrap copies its option
     * map, adds a placeholder handler and queues the connect as a task on every connect.
     */
    @SuppressWarnings("unchecked")
    private Map.Entry<ChannelOption<?>, Object>[] options(BackendPool pool, PoolConfig cfg) {
        IdentityHashMap<BackendPool, CachedOptions> mine = optionsByPool.get();
        CachedOptions cached = mine.get(pool);
        if (cached != null && cached.config() == cfg) {
            return cached.options();
        }
        Bootstrap b = backendSockets(transport, cfg.connectTimeout(), cfg.keepAlive(), reads)
                .option(ChannelOption.AUTO_READ, false);
        Map.Entry<ChannelOption<?>, Object>[] list = b.config().options().entrySet().toArray(new Map.Entry[0]);
        mine.put(pool, new CachedOptions(cfg, list));
        return list;
    }

    /**
     * The options of every socket to a backend, made here for a client or by the warm pool ahead of one:
     * one list, so the two kinds cannot drift apart. TCP_NODELAY is Netty's default on every transport,
     * so it is not set again (one syscall less per connect). No channel factory: the caller picks the one for the
     * backend's address family ({@link Transport#socketChannels(java.net.InetSocketAddress)}).
     */
    static Bootstrap backendSockets(Transport transport, Duration connectTimeout, KeepAliveConfig keepAlive,
                                    RecvByteBufAllocator reads) {
        Bootstrap b = new Bootstrap()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.RCVBUF_ALLOCATOR, reads);
        if (keepAlive != null) {
            transport.keepAlive(b, keepAlive);
        }
        return b;
    }

    /**
     * A backend channel with the pool's options, registered on {@code loop} (not connected yet). Throws
     * when no socket can be had (file descriptors exhausted, say). An option the socket refuses is
     * skipped with a warning, once per option, as Bootstrap would skip it.
     */
    @SuppressWarnings("unchecked")
    private Channel newBackendChannel(EventLoop loop, java.net.InetSocketAddress target,
                                      Map.Entry<ChannelOption<?>, Object>[] opts) {
        // A direct constructor call (no reflective factory per connection); throws when the OS gives no socket.
        Channel ch = transport.socketChannels(target).newChannel();
        for (Map.Entry<ChannelOption<?>, Object> e : opts) {
            try {
                ch.config().setOption((ChannelOption<Object>) e.getKey(), e.getValue());
            } catch (RuntimeException ex) {
                if (refusedOptions.add(e.getKey())) {
                    log.warn("backend socket option refused option={} value={} cause=\"{}\" (connects go on without it)",
                            e.getKey(), e.getValue(), ConnectFailures.detail(ex));
                }
            }
        }
        EpollInterest.readFromStart(ch); // it is read once connected: its EPOLL_CTL_ADD asks for EPOLLIN already
        loop.register(ch);
        return ch;
    }

    /** The pool's warm pool (null removes it); clients of the pool take pre-connected sockets from it. */
    public void warmPool(BackendPool pool, WarmConnections warm) {
        if (warm == null) {
            warmPools.remove(pool);
        } else {
            warmPools.put(pool, warm);
        }
    }

    /** The TLS the pool speaks to its backends (null: plaintext); replaced whole by a reload. */
    public void tls(BackendPool pool, ClientTls tls) {
        if (tls == null) {
            tlsPools.remove(pool);
        } else {
            tlsPools.put(pool, tls);
        }
    }

    /**
     * Starts connecting {@code client} to a backend of {@code pool}. The returned handle lets the
     * caller abandon the attempt when the client leaves first; a backend channel that connects after
     * that is closed here.
     */
    public Attempt connect(Channel client, InetAddress clientIp, BackendPool pool, WriteBufferWaterMark waterMark,
                           Callback callback) {
        PoolConfig cfg = pool.config();
        Attempt attempt = new Attempt(client, clientIp, pool, cfg.connectAttempts(), options(pool, cfg), waterMark,
                warmPools.get(pool), tlsPools.get(pool), callback);
        attempt.next();
        return attempt;
    }

    /** One client's connect, across its tries. Touched only on the client's event loop. */
    public final class Attempt {
        private final Channel client;
        private final InetAddress clientIp;
        private final BackendPool pool;
        private final int attempts;
        private final Map.Entry<ChannelOption<?>, Object>[] options;
        private final WriteBufferWaterMark waterMark;
        private final WarmConnections warm;
        private final ClientTls tls;
        private final Callback callback;
        private final List<Backend> tried = new ArrayList<>(2);
        /** Tried or full: what the balancer must pass over. */
        private final List<Backend> skip = new ArrayList<>(2);
        private boolean sawFull;
        private Channel pending;
        private boolean abandoned;

        private Attempt(Channel client, InetAddress clientIp, BackendPool pool, int attempts,
                        Map.Entry<ChannelOption<?>, Object>[] options, WriteBufferWaterMark waterMark, WarmConnections warm,
                        ClientTls tls, Callback callback) {
            this.waterMark = waterMark;
            this.warm = warm;
            this.tls = tls;
            this.client = client;
            this.clientIp = clientIp;
            this.pool = pool;
            this.attempts = attempts;
            this.options = options;
            this.callback = callback;
        }

        /** The client left: close the backend channel being connected, report nothing more. */
        public void abandon() {
            abandoned = true;
            if (pending != null) {
                pending.close();
            }
        }

        private void next() {
            Backend picked;
            while (true) {
                picked = pool.snapshot().balancer().pick(clientIp, skip);
                if (picked == null) {
                    callback.failed(!tried.isEmpty() ? CloseReason.CONNECT_FAILED
                            : sawFull ? CloseReason.BACKENDS_FULL : CloseReason.NO_HEALTHY_BACKEND);
                    return;
                }
                skip.add(picked);
                if (picked.tryConnectionStarted()) {
                    break;
                }
                sawFull = true; // at its max-connections: every balancer moves on to its next choice
            }
            Backend backend = picked;
            tried.add(backend);
            WarmConnections.Taken taken = warm == null ? null : warm.take(backend, client.eventLoop());
            if (taken != null) {
                taken.channel().config().setWriteBufferWaterMark(waterMark);
                callback.connected(taken.channel(), backend, taken.banner());
                return;
            }
            long start = System.nanoTime();
            Channel ch;
            try {
                ch = newBackendChannel(client.eventLoop(), backend.address(), options);
            } catch (RuntimeException e) {
                // No socket: a failed connect like any other (counted, logged, tried on another backend).
                onConnect(null, e, backend, start);
                return;
            }
            pending = ch;
            // Registration on the caller's own loop completes at once; a failed one fails the connect too.
            ch.connect(backend.address()).addListener((ChannelFuture done) ->
                    onConnect(done.channel(), done.cause(), backend, start));
        }

        /** {@code failure} null: connected. {@code ch} null: there was no socket to connect. */
        private void onConnect(Channel ch, Throwable failure, Backend backend, long start) {
            pending = null;
            if (failure == null && tls != null && !abandoned && client.isActive()) {
                // Connected, and the pool speaks TLS: handed over only once the handshake succeeded.
                pending = ch;
                callback.beforeHandshake(ch);
                TlsUpgrade.start(ch, tls, backend, pool.config().connectTimeout().toMillis(),
                        handshake -> onHandshake(ch, handshake, backend, start));
                return;
            }
            handOver(ch, failure, backend, start);
        }

        private void onHandshake(Channel ch, Throwable failure, Backend backend, long start) {
            pending = null;
            handOver(ch, failure == null ? null : new ConnectFailures.TlsFailure(failure), backend, start);
        }

        private void handOver(Channel ch, Throwable failure, Backend backend, long start) {
            if (failure == null) {
                metrics.connected(pool.name(), backend, System.nanoTime() - start);
                ch.config().setWriteBufferWaterMark(waterMark);
                pool.feedback().connectSucceeded(backend);
                if (!abandoned && client.isActive()) {
                    callback.connected(ch, backend, List.of());
                    return;
                }
            }
            backend.connectionEnded();
            if (ch != null) {
                // Not handed over, so closed here, failed connects too: Netty leaves a channel whose connect failed
                // open (a native socket stays open and registered with its loop; the JDK closes a NIO one itself).
                // Bootstrap added the close on failure; a direct connect must close it.
                ch.close();
            }
            if (failure == null || abandoned || !client.isActive()) {
                return;
            }
            backend.connectFailed();
            String cause = ConnectFailures.causeOf(failure);
            String detail = ConnectFailures.detail(failure);
            metrics.connectFailed(pool.name(), backend.id(), cause);
            pool.feedback().connectFailed(backend, detail);
            callback.tryFailed(detail);
            log.info("connect failed pool={} backend={} attempt={}/{} client={} cause=\"{}\"",
                    pool.name(), backend.id(), tried.size(), attempts, clientIp.getHostAddress(), detail);
            if (tried.size() < attempts) {
                next();
            } else {
                callback.failed(CloseReason.CONNECT_FAILED);
            }
        }
    }
}
