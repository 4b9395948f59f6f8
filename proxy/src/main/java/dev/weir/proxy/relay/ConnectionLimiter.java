package dev.weir.proxy.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits on the server channel and sees each accepted child before it is registered: over
 * max-connections the child is closed at once with linger 0 (an RST, no TIME_WAIT), counted, and a
 * warning is logged at most once per second, however many arrive.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ConnectionLimiter.class);
    private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String listener;
    private final IntSupplier max;
    private final AtomicInteger active;
    private final Runnable onReject;
    private final AtomicLong lastWarn = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
    private final AtomicLong rejectedSinceWarn = new AtomicLong();

    ConnectionLimiter(String listener, IntSupplier max, AtomicInteger active, Runnable onReject) {
        this.listener = listener;
        this.max = max;
        this.active = active;
        this.onReject = onReject;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        if (active.incrementAndGet() > max.getAsInt()) {
            active.decrementAndGet();
            child.config().setOption(ChannelOption.SO_LINGER, 0);
            child.unsafe().closeForcibly();
            onReject.run();
            warn();
            return;
        }
        child.closeFuture().addListener(f -> active.decrementAndGet());
        ctx.fireChannelRead(msg);
    }

    private void warn() {
        long n = rejectedSinceWarn.incrementAndGet();
        long now = System.nanoTime();
        long last = lastWarn.get();
        if (now - last >= WARN_EVERY_NANOS && lastWarn.compareAndSet(last, now)) {
            rejectedSinceWarn.addAndGet(-n);
            log.warn("connection limit reached listener={} max_connections={} rejected={}", listener, max.getAsInt(), n);
        }
    }
}
