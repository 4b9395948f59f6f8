package dev.weir.proxy.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.internal.tcnative.SSL;
import io.netty.util.Mapping;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Netty's SNI handler with a hello timeout that ends when the handler leaves the pipeline: Netty's own runs on
 * after a removal and closes the channel, which would cut a connection that an SNI route passes through untouched
 * (the handler is taken out before it sees the hello). The {@link SslHandler} it makes has the same timeout.
 *
 * <p>Thread rule: one per channel, on its event loop.
 */
final class SniTermination extends SniHandler {

    private final long timeoutMillis;
    private final boolean noTickets;
    private ScheduledFuture<?> timer;

    /** @param noTickets {@code session-tickets: {enabled: false}}, with BoringSSL */
    SniTermination(Mapping<String, SslContext> bySni, int maxClientHello, long timeoutMillis, boolean noTickets) {
        super(bySni, maxClientHello, 0); // 0: no timer of Netty's
        this.timeoutMillis = timeoutMillis;
        this.noTickets = noTickets;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
        if (timeoutMillis > 0) {
            timer = ctx.executor().schedule(() -> {
                if (ctx.channel().isActive() && !ctx.isRemoved()) {
                    ctx.fireUserEventTriggered(new SniCompletionEvent(
                            new SslHandshakeTimeoutException("handshake timed out after " + timeoutMillis + "ms")));
                    ctx.close();
                }
            }, timeoutMillis, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        if (timer != null) {
            timer.cancel(false);
        }
        super.handlerRemoved0(ctx);
    }

    @Override
    protected SslHandler newSslHandler(SslContext context, ByteBufAllocator allocator) {
        SslHandler h = super.newSslHandler(context, allocator);
        h.setHandshakeTimeoutMillis(timeoutMillis);
        if (noTickets) {
            // Netty turns TLS 1.3 tickets on per connection (BoringSSL's own key); session-tickets off means off.
            ReferenceCountedOpenSslEngine engine = (ReferenceCountedOpenSslEngine) h.engine();
            SSL.setOptions(engine.sslPointer(), SSL.SSL_OP_NO_TICKET);
        }
        return h;
    }
}
