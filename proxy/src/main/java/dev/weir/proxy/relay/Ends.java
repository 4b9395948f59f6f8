package dev.weir.proxy.relay;

import dev.weir.proxy.metrics.CloseReason;
import dev.weir.proxy.transport.QuietEnds;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.handler.ssl.SslHandler;

/**
 * How a {@link Connection}'s two directions end: each FIN forwarded once what is queued ahead of it is written
 * (close_notify first over TLS), and both sides closed when both directions are done or one side is gone. Lives on
 * the connection's event loop, as the connection does: plain fields.
 */
final class Ends {

    private static final ChannelFutureListener QUIET_CLOSE = f -> QuietEnds.close(f.channel());

    private final Connection conn;
    private boolean clientFinForwarded;
    private boolean backendFinForwarded;

    Ends(Connection conn) {
        this.conn = conn;
    }

    /**
     * {@code from} sent its FIN (or, its output shut down by us, it closed): forward it to the other side once
     * everything queued for that side is written, and close when both directions are done.
     */
    void forwardFin(Channel from) {
        boolean fromClient = from == conn.client();
        conn.reason(fromClient ? CloseReason.CLIENT_CLOSED : CloseReason.BACKEND_CLOSED);
        Channel to = fromClient ? conn.backendChannel() : conn.client();
        if (QuietEnds.quiet(to) && nothingQueued(to)) {
            finWritable(to); // the usual case: no promise, no listener (io_uring may still have writes in flight)
            return;
        }
        to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(written -> {
            if (written.isSuccess()) {
                finWritable(to);
            } else {
                conn.close(fromClient ? CloseReason.BACKEND_ERROR : CloseReason.CLIENT_ERROR);
            }
        });
    }

    /**
     * Everything for {@code to} is written: send it the FIN, or close both sides when this was the second FIN (a
     * close sends the FIN too, with one shutdown() call fewer). Over TLS (a terminated client session, or a pool that
     * speaks TLS to backends) the peer is sent close_notify first, so that it sees the end and not a truncation.
     */
    private void finWritable(Channel to) {
        if (to == conn.client() ? clientFinForwarded : backendFinForwarded) {
            CloseNotifyGuard.release(to);
            conn.close(conn.reason());
            return;
        }
        SslHandler tls = to.pipeline().get(SslHandler.class);
        if (tls == null) {
            finSent(to, QuietEnds.shutdownOutput(to));
            return;
        }
        CloseNotifyGuard.release(to);
        tls.closeOutbound().addListener(sent -> finSent(to, QuietEnds.shutdownOutput(to)));
    }

    private void finSent(Channel to, boolean sent) {
        if (to == conn.client()) {
            backendFinForwarded = true;
        } else {
            clientFinForwarded = true;
        }
        if (!sent || (clientFinForwarded && backendFinForwarded)) {
            conn.close(conn.reason());
        } else if (QuietEnds.quiet(to) && to.config() instanceof SocketChannelConfig config) {
            // The FIN that {@code to} reads next ends the connection: Netty closes it then (and we see it go), rather
            // than first calling shutdown(SHUT_RD), which fails with ENOTCONN once our FIN is acknowledged and builds
            // a NotYetConnectedException with its stack trace (AbstractEpollUnsafe.shutdownInput).
            config.setAllowHalfClosure(false);
        }
    }

    private static boolean nothingQueued(Channel ch) {
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return out != null && out.totalPendingWriteBytes() == 0;
    }

    /** {@code gone} closed or failed: flush what is queued for the other side, then close it. */
    void peerGone(Channel gone) {
        Channel other = gone == conn.client() ? conn.backendChannel() : conn.client();
        if (other == null || !other.isOpen()) {
            return;
        }
        if (QuietEnds.quiet(gone) && (gone == conn.client() ? backendFinForwarded : clientFinForwarded)) {
            forwardFin(gone); // it read its peer's FIN after ours (see finSent): a clean end
        } else if (QuietEnds.quiet(other) && nothingQueued(other)) {
            QuietEnds.close(other);
        } else {
            other.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(QUIET_CLOSE);
        }
    }
}
