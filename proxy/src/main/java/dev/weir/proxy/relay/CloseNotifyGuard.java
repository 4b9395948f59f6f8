package dev.weir.proxy.relay;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;

/**
 * Keeps a terminated client from mistaking a truncated stream for a finished one. Netty's OpenSSL engine answers a
 * client's close_notify by closing its own side as well (TLS 1.2's rule, applied to TLS 1.3 too), so what the backend
 * still sends cannot reach the client. This handler, between the socket and the TLS handler, holds that answering
 * close_notify: when the backend then ends without sending more, {@link #release} lets it out and the client sees
 * a clean end; when the connection ends any other way (the backend sent bytes that could not reach the client, see
 * {@link Relay}), it is dropped and the client is reset, so it sees the loss. The JDK's engine keeps its output open
 * in TLS 1.3, and nothing is held.
 *
 * <p>Thread rule: one per client channel, on its event loop.
 */
final class CloseNotifyGuard extends ChannelOutboundHandlerAdapter {

    static final String NAME = "close-notify-guard";

    private ArrayDeque<Object> held;
    private ArrayDeque<ChannelPromise> heldPromises;
    private ChannelHandlerContext ctx;
    private SslHandler tls;
    private boolean released;
    private boolean capturing;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (held == null && !released && clientClosedFirst(ctx)) {
            held = new ArrayDeque<>(2);
            heldPromises = new ArrayDeque<>(2);
            capturing = true;
        }
        if (capturing) {
            held.add(msg);
            heldPromises.add(promise);
        } else {
            ctx.write(msg, promise);
        }
    }

    /**
     * The TLS handler flushes its answer once the read that brought the close_notify is done: what it wrote until
     * then is the answer, held; later writes (its own closing, which must not wait for a flush) pass.
     */
    @Override
    public void flush(ChannelHandlerContext ctx) {
        capturing = false;
        ctx.flush();
    }

    /**
     * The engine has taken the client's close_notify and closed its own side with it (Netty's OpenSSL engine, or any
     * in TLS 1.2), so what it writes now is its answer; in TLS 1.3 the JDK's engine keeps its side open and is passed.
     */
    private boolean clientClosedFirst(ChannelHandlerContext ctx) {
        if (tls == null) {
            tls = ctx.pipeline().get(SslHandler.class);
        }
        return tls != null && tls.engine().isInboundDone() && tls.engine().isOutboundDone();
    }

    /**
     * {@code to} is ended cleanly (everything for it was written): the close_notify answer held there, if any, goes
     * out. Any channel: one without a guard is left alone.
     */
    static void release(io.netty.channel.Channel to) {
        if (to.pipeline().get(NAME) instanceof CloseNotifyGuard guard) {
            guard.release();
        }
    }

    /** The backend ended without sending more after the client's close_notify: the held answer goes out. */
    void release() {
        released = true;
        if (held == null) {
            return;
        }
        while (!held.isEmpty()) {
            ctx.write(held.poll(), heldPromises.poll());
        }
        held = null;
        capturing = false;
        ctx.flush();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (held != null) {
            // The backend's bytes after the client's close_notify were lost: a reset, not a clean end.
            drop();
            ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
        }
        ctx.close(promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        drop();
    }

    private void drop() {
        if (held == null) {
            return;
        }
        ClosedChannelException dropped = new ClosedChannelException();
        while (!held.isEmpty()) {
            ReferenceCountUtil.release(held.poll());
            heldPromises.poll().tryFailure(dropped);
        }
        held = null;
        capturing = false;
    }
}
