package dev.weir.proxy.relay;

import dev.weir.proxy.metrics.CloseReason;
import dev.weir.proxy.transport.EpollInterest;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

/**
 * Moves bytes read on one side to the other side of a {@link Connection}. One instance per side.
 * Flow control: this side reads only while the peer can take more (the peer's writability turns
 * our autoRead on and off), so a connection holds at most about one high watermark per direction.
 */
final class Relay extends ChannelInboundHandlerAdapter {

    private final Connection conn;
    private final boolean clientSide;

    Relay(Connection conn, boolean clientSide) {
        this.conn = conn;
        this.clientSide = clientSide;
    }

    private Channel peer() {
        return clientSide ? conn.backendChannel() : conn.client();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!clientSide && conn.clientTlsEnded()) {
            // The client's TLS can take nothing more (its close_notify closed both ways): not a clean end.
            ReferenceCountUtil.release(msg);
            conn.close(CloseReason.CLIENT_CLOSED);
            return;
        }
        Channel peer = peer();
        if (msg instanceof ByteBuf buf) {
            int n = buf.readableBytes();
            if (clientSide) {
                conn.bytes().fromClient(n);
                conn.backend().addBytesTo(n);
            } else {
                conn.bytes().fromBackend(n);
                conn.backend().addBytesFrom(n);
            }
        }
        if (peer.isActive()) {
            peer.write(msg, peer.voidPromise());
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        conn.readActivity();
        conn.bytes().report();
        peer().flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // Our output queue is filled by the peer's reads: pause the peer above the high watermark.
        Channel peer = peer();
        // Not on a peer whose input is shut down: it has nothing more to read (and on epoll, Netty
        // 4.2.18 would ask for read interest again; see EpollInterest).
        if (peer.isActive() && !((DuplexChannel) peer).isInputShutdown()) {
            boolean writable = ctx.channel().isWritable();
            if (!writable) {
                // This side is full: the peer's reads pause (side = whose reads).
                (clientSide ? conn.telemetry().meters().backendPauses() : conn.telemetry().meters().clientPauses()).increment();
            }
            peer.config().setAutoRead(writable);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            EpollInterest.inputShutDown(ctx.channel());
            conn.forwardFin(ctx.channel());
        } else if (clientSide && evt instanceof SslCloseCompletionEvent closed && closed.isSuccess()) {
            SslHandler tls = ctx.pipeline().get(SslHandler.class);
            if (tls != null && tls.engine().isOutboundDone()) {
                conn.clientTlsEnded(true); // see CloseNotifyGuard
            }
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        conn.reason(clientSide ? CloseReason.CLIENT_CLOSED : CloseReason.BACKEND_CLOSED);
        conn.peerGone(ctx.channel());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are events of the peer, not bugs: no stack trace.
        conn.telemetry().logSocketError(conn, clientSide, cause);
        conn.close(clientSide ? CloseReason.CLIENT_ERROR : CloseReason.BACKEND_ERROR);
    }
}
