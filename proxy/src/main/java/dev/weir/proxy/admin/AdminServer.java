package dev.weir.proxy.admin;

import dev.weir.proxy.api.StartException;
import dev.weir.proxy.api.ProxyControl;
import dev.weir.proxy.config.AdminConfig;
import dev.weir.proxy.transport.SocketErrors;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP endpoint: health, readiness, Prometheus metrics, the JSON API and the status
 * page (routes in docs/admin-api.md). It runs on an event loop group of its own with one thread, so a
 * slow scrape never delays the proxy's traffic; API calls, a reload included, run on the proxy's control
 * executor, so they never delay health, readiness or metrics either (see {@link AdminHandler}).
 *
 * <p>Limits: request bodies up to 64 KiB (413 beyond); a request must arrive whole within the header timeout
 * ({@link RequestClock}); 64 admin connections at once and fewer per source address, where a new one pushes out the
 * one that has waited longest for a request ({@link AdminConnections}), so probes are always answered; and a
 * connection idle for 60 s is closed.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    static final int MAX_BODY = 64 * 1024;
    static final int MAX_CONNECTIONS = 64;
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);
    private static final String PAGE = "status.html";

    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final AdminHandler handler;
    private final AdminConnections connections;

    private AdminServer(EventLoopGroup group, Channel serverChannel, AdminHandler handler,
                        AdminConnections connections) {
        this.group = group;
        this.serverChannel = serverChannel;
        this.handler = handler;
        this.connections = connections;
    }

    /**
     * Binds the endpoint and returns once it listens.
     *
     * @param token      bearer token for every state change; null or empty for none (then only a
     *                   loopback bind allows state changes)
     * @param prometheus the registry {@code /metrics} scrapes; null answers 404 there
     * @throws StartException when the address cannot be bound
     */
    public static AdminServer start(InetSocketAddress bind, String token, ProxyControl proxy, PrometheusMeterRegistry prometheus)
            throws StartException {
        return start(bind, token, proxy, prometheus, IDLE_TIMEOUT);
    }

    static AdminServer start(InetSocketAddress bind, String token, ProxyControl proxy, PrometheusMeterRegistry prometheus,
                             Duration idleTimeout) throws StartException {
        boolean loopback = bind.getAddress() != null && bind.getAddress().isLoopbackAddress();
        AdminHandler handler = new AdminHandler(proxy, prometheus, token, loopback, page(), proxy.controlExecutor());
        AdminConnections connections = new AdminConnections(MAX_CONNECTIONS,
                AdminConfig.DEFAULT_MAX_CONNECTIONS_PER_CLIENT, AdminConfig.DEFAULT_HEADER_TIMEOUT);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("weir-admin"),
                NioIoHandler.newFactory());
        ChannelFuture bound = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        RequestClock clock = new RequestClock(ch, connections);
                        if (!connections.admit(clock)) {
                            return;
                        }
                        ch.pipeline().addLast(
                                new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS),
                                new CloseWhenIdle(),
                                clock.firstByte(),
                                new HttpServerCodec(),
                                clock,
                                new BodyLimit(MAX_BODY),
                                handler);
                    }
                })
                .bind(bind)
                .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            Throwable cause = bound.cause();
            throw new StartException("admin.bind: cannot listen on " + NetUtil.toSocketAddressString(bind) + ": "
                    + SocketErrors.describe(cause), cause);
        }
        AdminServer server = new AdminServer(group, bound.channel(), handler, connections);
        log.info("admin endpoint bound address={} token={}", NetUtil.toSocketAddressString(server.address()),
                token == null || token.isEmpty() ? "none" : "set");
        return server;
    }

    private static byte[] page() {
        try (InputStream in = AdminServer.class.getResourceAsStream(PAGE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + PAGE + " next to " + AdminServer.class.getName());
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The bound address (the real port when the bind said port 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Host names a request may name from now on ({@code admin.allowed-hosts}); at start and on reload. */
    public void allowedHosts(java.util.List<String> hosts) {
        handler.allowedHosts(hosts);
    }

    /**
     * The per-client connection limit for new connections and the header timeout for requests to come
     * ({@code admin.max-connections-per-client}, {@code admin.header-timeout}); at start and on reload.
     */
    public void limits(int maxConnectionsPerClient, Duration headerTimeout) {
        connections.limits(maxConnectionsPerClient, headerTimeout);
    }

    /** A new token for every state change from now on (a reload that changed only the token). */
    public void token(String token) {
        handler.token(token);
        log.info("admin token changed token={}", token == null || token.isEmpty() ? "none" : "set");
    }

    /**
     * Stops listening now; once every API request taken so far is answered (a reload asked through this endpoint
     * that moved it is answered here), closes the rest and stops the admin event loop. Does not wait, so it may
     * run from any thread, the control thread in the middle of that reload included.
     */
    public void retire() {
        serverChannel.close();
        handler.afterPendingAnswers(() -> {
            closeConnections();
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        });
    }

    /** Stops listening, closes every admin connection and stops the admin event loop. */
    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly();
        closeConnections().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /**
     * Closes the connections on the admin loop before it stops, so that their pipelines hear of it: a loop that stops
     * with channels open closes them without, and a request half aggregated would leak its buffer.
     */
    private Future<?> closeConnections() {
        try {
            return group.submit(connections::closeAll);
        } catch (RejectedExecutionException e) {
            return group.terminationFuture(); // stopped already (retired): nothing is open
        }
    }

    /** Closes a connection that sent and received nothing for the idle timeout. */
    private static final class CloseWhenIdle extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                if (!ApiDispatch.answering(ctx.channel())) { // a long reload is still answered
                    ctx.close();
                }
            } else {
                super.userEventTriggered(ctx, evt);
            }
        }
    }

    /**
     * {@link HttpObjectAggregator} whose 413 is JSON like every other error. As in Netty's own,
     * a keep-alive request announced too large by its Content-Length keeps the connection (the
     * rest of its body is skipped); otherwise the connection closes after the answer.
     */
    private static final class BodyLimit extends HttpObjectAggregator {
        BodyLimit(int maxContentLength) {
            super(maxContentLength);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
            if (!(oversized instanceof HttpRequest request)) {
                super.handleOversizedMessage(ctx, oversized);
                return;
            }
            boolean keep = !(oversized instanceof io.netty.handler.codec.http.FullHttpMessage)
                    && (HttpUtil.is100ContinueExpected(request) || HttpUtil.isKeepAlive(request));
            log.info("admin request refused method={} path=\"{}\" status=413 max_body={}", request.method(),
                    AdminHandler.loggable(request.uri()), MAX_BODY);
            Reply.send(ctx, Reply.error(new ApiException(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "payload_too_large", "body: more than " + MAX_BODY + " bytes (expected: at most 64 KiB)")), !keep);
        }
    }
}
