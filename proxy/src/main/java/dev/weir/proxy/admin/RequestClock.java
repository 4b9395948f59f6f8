package dev.weir.proxy.admin;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpExpectationFailedEvent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One admin connection's request clock: a request (head and body) must arrive whole within the header timeout,
 * counted from accept for the first request and from its first byte for a later one, or the connection is closed
 * (a client that connects and sends nothing, or half a request line, holds no slot for long). Between requests a
 * keep-alive connection only has the idle timeout. It also tells {@link AdminConnections} when the connection owes
 * no answer ({@linkplain #waiting() waiting}), so that it may be closed to make room for a new one.
 *
 * <p>It sits after the HTTP codec (request heads and ends, final responses); {@link #firstByte()} sits before it, to
 * see a request's first byte. A request whose start came in the same read as the end of the one before is not seen
 * starting; it has the idle timeout, and its connection may still be closed to make room.
 *
 * <p>Thread rule: everything runs on the connection's event loop, the one admin loop.
 */
final class RequestClock extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(RequestClock.class);

    private final Channel channel;
    private final InetAddress source;
    private final AdminConnections connections;
    private ScheduledFuture<?> deadline; // armed while a request is awaited or arriving
    private boolean received;            // a byte came since the deadline was armed (for the log)
    private long heads;                  // request heads read
    private long answers;                // final responses written
    private boolean partial;             // a head read, its body not all yet
    boolean counted;                     // AdminConnections' mark: still counted against the limits

    RequestClock(Channel channel, AdminConnections connections) {
        this.channel = channel;
        this.source = channel.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        this.connections = connections;
    }

    Channel channel() {
        return channel;
    }

    /** The source address the per-client limit counts by; null when the channel has none. */
    InetAddress source() {
        return source;
    }

    /** True while the connection owes no answer: nothing asked yet, idle between requests, or a head still coming. */
    boolean waiting() {
        return heads == answers;
    }

    /** The handler to put before the HTTP codec: a request's first byte starts the clock. */
    ChannelHandler firstByte() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof ByteBuf b && b.isReadable()) {
                    if (deadline == null && waiting()) {
                        arm();
                    }
                    received = true;
                }
                ctx.fireChannelRead(msg);
            }
        };
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        arm(); // from accept: the first request must come within the timeout
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest) {
            heads++;
            partial = true;
        }
        // A head the decoder could not read is answered and closed: no body is awaited.
        if (msg instanceof LastHttpContent || msg instanceof HttpRequest r && r.decoderResult().isFailure()) {
            partial = false;
            cancel();
        } else if (msg instanceof HttpRequest && deadline == null) {
            arm(); // pipelined behind a request still owed an answer: its first byte did not start the clock
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof HttpExpectationFailedEvent) {
            partial = false; // refused before its body (413 to Expect: 100-continue): the body will not come
            cancel();
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof HttpResponse response && msg instanceof LastHttpContent
                && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
            ChannelPromise p = promise.unvoid();
            p.addListener(f -> answered()); // a response still unsent is still owed
            super.write(ctx, msg, p);
            return;
        }
        super.write(ctx, msg, promise);
    }

    private void answered() {
        answers++;
        if (waiting()) {
            connections.waiting(this);
        }
    }

    private void arm() {
        cancel();
        received = false;
        Duration timeout = connections.headerTimeout();
        deadline = channel.eventLoop().schedule(this::expired, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void expired() {
        deadline = null;
        if (channel.isActive() && (waiting() || partial)) {
            log.debug("admin connection closed reason=header_timeout client={} received={}",
                    source == null ? "?" : source.getHostAddress(), received ? "part" : "nothing");
            channel.close();
        }
    }
}
