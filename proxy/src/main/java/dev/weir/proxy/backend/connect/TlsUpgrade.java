package dev.weir.proxy.backend.connect;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.config.HostPort;
import dev.weir.proxy.tls.ClientTls;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.SslHandler;
import java.util.function.Consumer;

/**
 * A connected backend socket of a pool with {@code tls}: the handshake runs before the socket is handed to the
 * client's connection, so that a backend with the wrong certificate is a failed connect like a refused one (counted,
 * passive health, the next backend tried). Used on the client's event loop.
 */
final class TlsUpgrade {

    private TlsUpgrade() {
    }

    /** Starts the handshake; {@code done} gets null once it succeeded, or why it failed. */
    static void start(Channel ch, ClientTls tls, Backend backend, long timeoutMillis, Consumer<Throwable> done) {
        HostPort configured = HostPort.parse(backend.key());
        SslHandler h = tls.newHandler(ch.alloc(), configured.host(), configured.port(), timeoutMillis);
        // The handshake's failure also travels the pipeline as an exception: reported through done, not logged twice.
        ch.pipeline().addLast("tls-handshake", new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                // Backend sockets allow half-closure, so a backend that closes mid-handshake arrives as an input
                // shutdown, not as an inactive channel: without this the handshake would wait for its timeout.
                if (evt instanceof ChannelInputShutdownEvent) {
                    ctx.close();
                }
                ctx.fireUserEventTriggered(evt);
            }
        });
        ch.pipeline().addFirst("tls", h);
        h.handshakeFuture().addListener(f -> {
            if (f.isSuccess() && ch.pipeline().get("tls-handshake") != null) {
                ch.pipeline().remove("tls-handshake");
            }
            done.accept(f.cause());
        });
    }
}
