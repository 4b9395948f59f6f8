package dev.weir.proxy.relay;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.config.EdgeConfig;
import dev.weir.proxy.metrics.CloseReason;
import dev.weir.proxy.transport.EpollInterest;
import dev.weir.proxy.backend.connect.BackendConnector;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The client side until its backend is connected. First what the listener asks before choosing a
 * backend: a PROXY header from a trusted source (the real client), an SNI peek (the pool), then the
 * access lists and per-client limits on the real client's address. Then the connect, and the hand
 * over to two {@link Relay}s. The client is read meanwhile (see {@link #readWhileConnecting}), so whatever comes
 * early is queued and replayed in order.
 */
final class Frontend extends ChannelInboundHandlerAdapter implements BackendConnector.Callback {

    private final ListenerContext listener;
    private final EdgeConfig edge;
    private Connection conn;
    private BackendConnector.Attempt attempt;
    private ArrayDeque<Object> early;
    private int earlyBytes;
    private boolean earlyFin;
    private boolean awaitingProxyHeader;
    private boolean awaitingSni;
    /** A terminating listener connects the backend only once the client's handshake succeeded. */
    private final boolean terminatesTls;
    private boolean awaitingTls;
    private ScheduledFuture<?> proxyTimeout;
    /** Written before the handshake of a backend that speaks TLS. */
    private boolean proxyHeaderSent;
    private ChannelHandlerContext ctx;

    Frontend(ListenerContext listener, EdgeConfig edge) {
        this(listener, edge, false);
    }

    Frontend(ListenerContext listener, EdgeConfig edge, boolean terminatesTls) {
        this.listener = listener;
        this.edge = edge;
        this.terminatesTls = terminatesTls;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        conn = listener.opened(ctx.channel());
        awaitingProxyHeader = edge.proxyProtocol() != null;
        awaitingSni = edge.sni() != null;
        awaitingTls = terminatesTls;
        if (awaitingProxyHeader) {
            if (!Admission.anyContains(edge.proxyProtocol().trusted(), conn.clientAddress().getAddress())) {
                reject(CloseReason.UNTRUSTED_PROXY);
                return;
            }
            proxyTimeout = ctx.executor().schedule(() -> reject(CloseReason.PROXY_TIMEOUT),
                    edge.proxyProtocol().timeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        if (awaitingProxyHeader || awaitingSni || awaitingTls) {
            ctx.read(); // the decoders in front ask for more until they are done
        } else {
            admit();
        }
        ctx.fireChannelActive();
    }

    /** Access lists and per-client limits on the real client, then the connect. */
    private void admit() {
        if (!conn.client().isActive()) {
            return;
        }
        CloseReason refused = listener.admit(conn);
        if (refused != null) {
            reject(refused);
            return;
        }
        if (edge.maxConnectionDuration() != null) {
            ScheduledFuture<?> cap = ctx.executor().schedule(() -> conn.close(CloseReason.MAX_DURATION),
                    edge.maxConnectionDuration().toMillis(), TimeUnit.MILLISECONDS);
            conn.client().closeFuture().addListener(f -> cap.cancel(false));
        }
        attempt = listener.connect(conn.client(), conn.clientAddress().getAddress(), conn.pool(), this);
        readWhileConnecting();
    }

    /**
     * Keeps a read pending while the backend connects: where a reset is reported only to a channel that reads (NIO,
     * io_uring), a client who leaves is noticed and its connect abandoned; on epoll the client's read interest, in
     * its registration from the start ({@code EpollInterest.readFromStart}), then never changes before the relay.
     * At most the client's high watermark (plus one read) waits in {@code early}, the relay's own bound.
     */
    private void readWhileConnecting() {
        if (attempt != null && !ctx.isRemoved() && conn.client().isActive()
                && !earlyFin && earlyBytes < conn.client().config().getWriteBufferHighWaterMark()) {
            ctx.read();
        }
    }

    private void reject(CloseReason reason) {
        listener.telemetry().rejected(reason);
        conn.close(reason);
    }

    @Override
    public void beforeHandshake(Channel backendChannel) {
        proxyHeaderSent = ProxyHeaders.writeIfConfigured(conn, backendChannel);
        if (proxyHeaderSent) {
            backendChannel.flush();
        }
    }

    @Override
    public void connected(Channel backendChannel, Backend backend, List<ByteBuf> banner) {
        conn.attach(backendChannel, backend);
        backendChannel.pipeline().addLast("relay", new Relay(conn, false));
        if (!proxyHeaderSent) {
            ProxyHeaders.writeIfConfigured(conn, backendChannel);
        }
        // What a pre-connected backend already said goes to the client before anything else from it.
        if (!banner.isEmpty()) {
            // Indexed: no iterator per connection for the usual empty banner.
            for (int i = 0; i < banner.size(); i++) {
                ByteBuf b = banner.get(i);
                conn.bytes().fromBackend(b.readableBytes());
                backend.addBytesFrom(b.readableBytes());
                conn.client().write(b, conn.client().voidPromise());
            }
            conn.client().flush();
        }
        if (early != null) {
            for (Object msg : early) {
                int n = msg instanceof ByteBuf buf ? buf.readableBytes() : 0;
                conn.bytes().fromClient(n);
                backend.addBytesTo(n);
                backendChannel.write(msg, backendChannel.voidPromise());
            }
            early = null;
        }
        backendChannel.flush();
        ctx.pipeline().replace(this, "relay", new Relay(conn, true));
        backendChannel.config().setAutoRead(conn.client().isWritable());
        if (earlyFin) {
            conn.forwardFin(conn.client());
        } else {
            conn.client().config().setAutoRead(backendChannel.isWritable());
        }
    }

    @Override
    public void tryFailed(String cause) {
        conn.connectError(cause);
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
        if (msg instanceof ByteBuf buf) {
            earlyBytes += buf.readableBytes();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Also after the PROXY and SNI readers in front (decoders pass this on): their bytes count.
        conn.readActivity();
        ctx.fireChannelReadComplete();
        readWhileConnecting();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Prelude.ClientIdentified id) {
            proxyTimeout.cancel(false);
            awaitingProxyHeader = false;
            conn.identified(id.client(), id.destination());
            admitWhenReady();
        } else if (evt instanceof Prelude.SniRouted routed) {
            awaitingSni = false;
            if (routed.passthrough()) {
                awaitingTls = false; // the client's TLS goes to the backend as it is
            }
            listener.telemetry().sniResult(routed.result());
            BackendPool pool = routed.pool() == null ? null : listener.poolNamed(routed.pool());
            if (pool == null) {
                reject(CloseReason.SNI_REJECTED);
            } else {
                conn.route(pool);
                admitWhenReady();
            }
        } else if (evt instanceof SslHandshakeCompletionEvent handshake && awaitingTls) {
            awaitingTls = false;
            if (handshake.isSuccess()) {
                listener.telemetry().tlsSucceeded(System.nanoTime() - conn.startNanos());
                conn.tlsEstablished(TlsSessions.describe(ctx.pipeline().get(SslHandler.class)));
                admitWhenReady();
            } else {
                tlsFailed(handshake.cause());
            }
        } else if (evt instanceof SniCompletionEvent hello && !hello.isSuccess() && awaitingTls && !awaitingSni) {
            // The terminating handler could not read a ClientHello (not TLS, too slow, too large).
            tlsFailed(hello.cause());
        } else if (evt instanceof ChannelInputShutdownEvent && awaitingTls && !awaitingSni) {
            // The client left mid-handshake (half-closure is allowed, so no inactive channel tells the TLS handler).
            EpollInterest.inputShutDown(ctx.channel());
            tlsFailed(new java.nio.channels.ClosedChannelException());
        } else if (evt instanceof ChannelInputShutdownEvent) {
            EpollInterest.inputShutDown(ctx.channel());
            earlyFin = true;
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        conn.reason(CloseReason.CLIENT_CLOSED);
        if (proxyTimeout != null) {
            proxyTimeout.cancel(false);
        }
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
        // Any decoder failure before the header is complete is a malformed header: Netty's decoder also
        // throws IndexOutOfBoundsException for a TLV whose length runs past the header.
        if (awaitingProxyHeader && (cause instanceof HAProxyProtocolException || cause instanceof DecoderException)) {
            reject(CloseReason.PROXY_MALFORMED);
        } else if (awaitingSni && isHelloProblem(cause)) {
            sniFallback(cause);
        } else if (awaitingTls && !awaitingSni) {
            tlsFailed(cause);
        } else if (conn.reason() == CloseReason.TLS_HANDSHAKE_FAILED) {
            // The same failure, reported again by the TLS handler: counted and logged once already.
            conn.close(CloseReason.TLS_HANDSHAKE_FAILED);
        } else {
            listener.telemetry().logSocketError(conn, true, cause);
            conn.close(CloseReason.CLIENT_ERROR);
        }
    }

    /** Once the PROXY header, the SNI route and the TLS handshake, each where there is one, are done. */
    private void admitWhenReady() {
        if (!awaitingProxyHeader && !awaitingSni && !awaitingTls) {
            admit();
        }
    }

    /** The client's handshake failed (its cause: no certificate, unknown CA, version, timeout...): no backend. */
    private void tlsFailed(Throwable cause) {
        awaitingTls = false;
        listener.telemetry().tlsFailed(conn, cause);
        reject(CloseReason.TLS_HANDSHAKE_FAILED);
    }

    private static boolean isHelloProblem(Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        return c instanceof TooLongFrameException || c instanceof SslHandshakeTimeoutException
                || c instanceof NotSslRecordException;
    }

    /** An oversized, slow or broken hello: the default pool when there is one (with what was read so far). */
    private void sniFallback(Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        String result = c instanceof SslHandshakeTimeoutException ? "timeout"
                : c instanceof TooLongFrameException ? "oversized" : "not_tls";
        if (!conn.client().isActive()) {
            // Netty's hello reader threw the buffered bytes away and closed (oversized or broken hello):
            // nothing is left to relay to a default pool.
            awaitingSni = false;
            listener.telemetry().sniResult(result);
            reject(CloseReason.SNI_REJECTED);
            return;
        }
        if (ctx.pipeline().get("sni") != null) {
            ctx.pipeline().remove("sni");
        }
        userEventTriggered(ctx, new Prelude.SniRouted(edge.sni().defaultPool(), result));
    }

    private void releaseEarly() {
        if (early != null) {
            early.forEach(ReferenceCountUtil::release);
            early = null;
        }
    }
}
