package dev.weir.proxy.relay;

import dev.weir.proxy.config.EdgeConfig;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.util.concurrent.Future;
import java.util.Locale;
import java.util.Map;

/**
 * Peeks at a TLS ClientHello for its server name without terminating TLS (Netty's ClientHello
 * accumulation and SNI extraction), picks the pool, and steps aside: removing it hands the buffered
 * hello, untouched, to the frontend, which relays it first. The hello is capped in size and time.
 * Routing: an exact name, then the longest matching {@code *.suffix}, then the default pool. On a listener that
 * terminates TLS the chosen route may pass the connection through still encrypted.
 */
final class SniPeek extends AbstractSniHandler<String> {

    /** The pipeline name of a terminating listener's TLS handler, which comes right after this one. */
    static final String TLS_HANDLER = "tls";

    private final EdgeConfig.Sni sni;
    private boolean sawHello;
    private boolean done;
    private io.netty.util.concurrent.ScheduledFuture<?> timer;

    SniPeek(EdgeConfig.Sni sni) {
        // Netty's own size and time limits close the channel (and drop the buffered bytes); this
        // handler enforces both itself, so an oversized or slow hello can still go to the default pool
        // with every byte it sent.
        super(0, 0);
        this.sni = sni;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
        timer = ctx.executor().schedule(() -> {
            if (!done && ctx.channel().isActive()) {
                finish(ctx, sni.defaultPool(), "timeout");
            }
        }, sni.timeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        if (timer != null) {
            timer.cancel(false);
        }
        super.handlerRemoved0(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, java.util.List<Object> out) throws Exception {
        if (!done && in.readableBytes() > sni.maxClientHello()) {
            finish(ctx, sni.defaultPool(), "oversized");
            return;
        }
        super.decode(ctx, in, out);
    }

    private void finish(ChannelHandlerContext ctx, String pool, String result) {
        finish(ctx, pool, result, false);
    }

    /**
     * A passthrough route takes the terminating TLS handler out first, so that the buffered hello, handed on when
     * this handler leaves, reaches the frontend untouched and goes to the backend as the client sent it.
     */
    private void finish(ChannelHandlerContext ctx, String pool, String result, boolean passthrough) {
        done = true;
        ChannelHandlerContext next = ctx; // the event goes to the frontend after this handler is gone
        boolean untouched = passthrough && ctx.pipeline().get(TLS_HANDLER) != null;
        if (untouched) {
            ctx.pipeline().remove(TLS_HANDLER);
        }
        ctx.pipeline().remove(this);
        next.fireUserEventTriggered(new Prelude.SniRouted(pool, result, untouched));
    }

    @Override
    protected Future<String> lookup(ChannelHandlerContext ctx, ByteBuf clientHello) throws Exception {
        sawHello = clientHello != null;
        return super.lookup(ctx, clientHello);
    }

    @Override
    protected Future<String> lookup(ChannelHandlerContext ctx, String hostname) {
        return ctx.executor().newSucceededFuture(hostname);
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, String hostname, Future<String> future) {
        String result;
        String pool;
        if (!sawHello) {
            result = "not_tls";
            pool = sni.defaultPool();
        } else if (hostname == null) {
            result = "no_sni";
            pool = sni.defaultPool();
        } else {
            String matched = match(sni.routes(), hostname);
            if (matched != null) {
                finish(ctx, sni.routes().get(matched), "matched", sni.passthrough().contains(matched));
                return;
            }
            result = "no_match";
            pool = sni.defaultPool();
        }
        finish(ctx, pool, result);
    }

    /** The route's server name: exact first, then the longest wildcard suffix; null when nothing matches. */
    static String match(Map<String, String> routes, String hostname) {
        String host = hostname.toLowerCase(Locale.ROOT);
        if (routes.containsKey(host)) {
            return host;
        }
        String best = null;
        for (String pattern : routes.keySet()) {
            if (pattern.startsWith("*.")) {
                String suffix = pattern.substring(1); // ".example.com"
                if (host.endsWith(suffix) && host.length() > suffix.length()
                        && (best == null || suffix.length() > best.length() - 1)) {
                    best = pattern;
                }
            }
        }
        return best;
    }
}
