package dev.weir.proxy.relay;

import dev.weir.proxy.transport.EpollInterest;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits on the server channel and sees each accepted child before it is registered. Over
 * max-connections the child is closed at once with linger 0 (an RST, no TIME_WAIT) and counted, and
 * accepting pauses for {@link #PAUSE_MILLIS}: the rest of a flood waits in the kernel's backlog
 * instead of being accepted and closed in a spin. Accept errors (EMFILE: out of file descriptors)
 * are logged the same way, and accepting pauses for a second (as Netty's acceptor would). Warnings are
 * logged at most once per second, however many arrive. A child it lets through gets autoRead off and, on epoll,
 * read interest in its registration ({@code EpollInterest.readFromStart}).
 */
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ConnectionLimiter.class);
    static final long PAUSE_MILLIS = 100;
    /** After a failed accept: the descriptors it lacked are seldom back sooner. */
    static final long ERROR_PAUSE_MILLIS = 1000;

    private final String listener;
    private final IntSupplier max;
    private final AtomicInteger active;
    private final Runnable onReject;
    private final RateLimitedLog limitLog = new RateLimitedLog(log);
    private final RateLimitedLog errorLog = new RateLimitedLog(log);
    private boolean paused;
    /** One close listener for every child channel, not a lambda per connection. */
    private final ChannelFutureListener release;

    ConnectionLimiter(String listener, IntSupplier max, AtomicInteger active, Runnable onReject) {
        this.listener = listener;
        this.max = max;
        this.active = active;
        this.onReject = onReject;
        this.release = f -> active.decrementAndGet();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        if (active.incrementAndGet() > max.getAsInt()) {
            active.decrementAndGet();
            child.config().setOption(ChannelOption.SO_LINGER, 0);
            child.unsafe().closeForcibly();
            onReject.run();
            limitLog.warn("connection limit reached listener={} max_connections={} accept_paused_ms={} rejected={}",
                    listener, max.getAsInt(), PAUSE_MILLIS);
            pause(ctx, PAUSE_MILLIS);
            return;
        }
        child.closeFuture().addListener(release);
        // Frontend reads by hand, and reads every client from the start: its epoll registration carries EPOLLIN.
        child.config().setAutoRead(false);
        EpollInterest.readFromStart(child);
        ctx.fireChannelRead(msg);
    }

    /** Stops reading the server socket (accepting) briefly; runs on the server channel's loop. */
    private void pause(ChannelHandlerContext ctx, long millis) {
        if (paused) {
            return;
        }
        paused = true;
        ctx.channel().config().setAutoRead(false);
        ctx.executor().schedule(() -> {
            paused = false;
            if (ctx.channel().isOpen()) {
                ctx.channel().config().setAutoRead(true);
            }
        }, millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            // An accept that failed (no descriptor left, say) leaves the client in the backlog, so the socket stays
            // readable: pause as Netty's acceptor would, but without its stack trace at the pipeline's tail.
            errorLog.warn("accept failed listener={} cause=\"{}\" accept_paused_ms={} errors={}", listener,
                    cause.getMessage(), ERROR_PAUSE_MILLIS);
            pause(ctx, ERROR_PAUSE_MILLIS);
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
