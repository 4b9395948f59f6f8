package dev.weir.proxy.relay;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.upstream.UpstreamConnector;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The client side until its backend is connected: starts the connect, then hands over to two
 * {@link Relay}s. Reads are off meanwhile, but epoll still delivers bytes and a FIN that arrive with
 * an RDHUP, so whatever comes early is queued and replayed in order once the backend is there.
 */
final class Frontend extends ChannelInboundHandlerAdapter implements UpstreamConnector.Callback {

    private final ProxyListener listener;
    private Connection conn;
    private UpstreamConnector.Attempt attempt;
    private ArrayDeque<Object> early;
    private boolean earlyFin;
    private ChannelHandlerContext ctx;

    Frontend(ProxyListener listener) {
        this.listener = listener;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        conn = listener.opened(ctx.channel());
        attempt = listener.connect(ctx.channel(), conn.clientAddress.getAddress(), this);
        ctx.fireChannelActive();
    }

    @Override
    public void connected(Channel backendChannel, Backend backend, List<ByteBuf> banner) {
        conn.attach(backendChannel, backend);
        backendChannel.pipeline().addLast("relay", new Relay(conn, false));
        // What a pre-connected backend already said goes to the client before anything else from it.
        for (ByteBuf b : banner) {
            conn.bytesFromBackend += b.readableBytes();
            conn.client.write(b, conn.client.voidPromise());
        }
        if (!banner.isEmpty()) {
            conn.client.flush();
        }
        if (early != null) {
            for (Object msg : early) {
                conn.bytesFromClient += msg instanceof ByteBuf b ? b.readableBytes() : 0;
                backendChannel.write(msg, backendChannel.voidPromise());
            }
            early = null;
            backendChannel.flush();
        }
        ctx.pipeline().replace(this, "relay", new Relay(conn, true));
        backendChannel.config().setAutoRead(conn.client.isWritable());
        if (earlyFin) {
            conn.forwardFin(conn.client);
        } else {
            conn.client.config().setAutoRead(backendChannel.isWritable());
        }
    }

    @Override
    public void failed(CloseReason reason) {
        conn.close(reason);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (early == null) {
            early = new ArrayDeque<>(2);
        }
        early.add(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            earlyFin = true;
        } else if (evt instanceof IdleStateEvent) {
            conn.close(CloseReason.IDLE_TIMEOUT);
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        conn.reason(CloseReason.CLIENT_CLOSED);
        if (attempt != null) {
            attempt.abandon();
        }
        releaseEarly();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseEarly();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        listener.logSocketError(conn, true, cause);
        conn.close(CloseReason.CLIENT_ERROR);
    }

    private void releaseEarly() {
        if (early != null) {
            early.forEach(ReferenceCountUtil::release);
            early = null;
        }
    }
}
