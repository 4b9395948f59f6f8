package dev.weir.proxy.relay;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.backend.connect.BackendConnector;
import dev.weir.proxy.balance.Balancers;
import dev.weir.proxy.config.AccessLogConfig;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.proxy.config.EdgeConfig;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.metrics.AccessLog;
import dev.weir.proxy.metrics.CloseReason;
import dev.weir.proxy.metrics.ProxyMetrics;
import dev.weir.proxy.transport.Transport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ListenerContext} for handler tests: one pool with one backend, reached through the real
 * {@link BackendConnector}, whose transport makes {@link EmbeddedSocket}s (so the test completes or refuses each
 * connect, and the attempt's own abandon and close paths run). Opens and finishes connections as ProxyListener
 * does, without its live set and idle sweeper; meters go to a {@link SimpleMeterRegistry}.
 */
final class TestListener implements ListenerContext {

    static final InetSocketAddress LISTENER = new InetSocketAddress("127.0.0.1", 7000);
    static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.2", 40000);
    static final InetSocketAddress BACKEND = new InetSocketAddress("127.0.0.1", 9001);

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final ProxyMetrics metrics = new ProxyMetrics(registry);
    final ListenerTelemetry telemetry = new ListenerTelemetry("l", metrics,
            new AccessLog(new AccessLogConfig(false, AccessLogConfig.Format.TEXT), registry), metrics.listener("l", () -> 0));
    final Backend backend = new Backend("b1", "127.0.0.1:9001", BACKEND, 1);
    final BackendPool pool;
    final MockTicker clock = Ticker.newMockTicker();
    /** Both directions' write-buffer watermarks, small so that a few bytes fill them. */
    final WriteBufferWaterMark waterMark = new WriteBufferWaterMark(32, 64);
    /** The backend sockets the connector made, in order. */
    final List<EmbeddedSocket> backendSockets = new ArrayList<>();
    private final BackendConnector connector;
    Connection conn;
    int finished;

    TestListener() throws Exception {
        PoolConfig cfg = ConfigLoader.parse("""
                listeners:
                  l: {bind: 127.0.0.1:0, pool: p}
                pools:
                  p:
                    connect-attempts: 1
                    backends: [127.0.0.1:9001]
                """, Map.of()).pools().get("p");
        pool = new BackendPool(cfg, List.of(backend), ImmediateEventExecutor.INSTANCE, Balancers::create);
        Transport embedded = new Transport("embedded", null, null, () -> {
            EmbeddedSocket s = new EmbeddedSocket(new InetSocketAddress("127.0.0.1", 50000 + backendSockets.size()),
                    BACKEND);
            backendSockets.add(s);
            return s;
        }, null);
        connector = new BackendConnector(embedded, Transport.reads(64 * 1024), metrics);
    }

    /** A client accepted by the listener, its Frontend active (and its connect started, unless a prelude waits). */
    EmbeddedSocket accept(EdgeConfig edge) throws Exception {
        // The loop both sockets share runs on the test's clock: only advance() moves it.
        EmbeddedSocket client = new EmbeddedSocket(LISTENER, CLIENT, clock);
        client.config().setAutoRead(false); // the Acceptor's child options
        client.config().setWriteBufferWaterMark(waterMark);
        client.pipeline().addLast("frontend", new Frontend(this, edge));
        client.register();
        return client;
    }

    /** Moves virtual time on {@code client}'s loop and runs what became due. */
    void advance(EmbeddedSocket client, long amount, TimeUnit unit) {
        clock.advance(amount, unit);
        client.runScheduledPendingTasks();
    }

    /** The backend socket of the (only) connect. */
    EmbeddedSocket backendSocket() {
        return backendSockets.get(0);
    }

    /** weir.connections.closed by reason, over every tag set. */
    Map<String, Double> closedReasons() {
        Map<String, Double> byReason = new TreeMap<>();
        for (Counter c : registry.find("weir.connections.closed").counters()) {
            byReason.merge(c.getId().getTag("reason"), c.count(), Double::sum);
        }
        return byReason;
    }

    double counter(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    // ---- ListenerContext ----

    @Override
    public Connection opened(Channel client) {
        telemetry.meters().opened().increment();
        conn = new Connection(this, pool, client, Long.MAX_VALUE);
        client.closeFuture().addListener(conn);
        return conn;
    }

    @Override
    public CloseReason admit(Connection c) {
        return null;
    }

    @Override
    public BackendConnector.Attempt connect(Channel client, InetAddress clientIp, BackendPool target, Frontend frontend) {
        return connector.connect(client, clientIp, target, waterMark, frontend);
    }

    @Override
    public BackendPool poolNamed(String name) {
        return null;
    }

    @Override
    public ListenerTelemetry telemetry() {
        return telemetry;
    }

    @Override
    public void closed(Connection c) {
        // As ProxyListener: finished after the current event.
        c.eventLoop().execute(() -> {
            finished++;
            c.finish();
        });
    }

    @Override
    public void release(InetAddress clientIp) {
    }
}
