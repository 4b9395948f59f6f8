package dev.weir.proxy.health;

import dev.weir.proxy.config.HealthCheckConfig;
import dev.weir.proxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/** Probes over real sockets: non-blocking connects on the health loop, one channel per probe. */
final class SocketProber implements Prober {

    private final EventLoop loop;
    private final Bootstrap bootstrap;

    SocketProber(EventLoop loop, Transport transport) {
        this.loop = loop;
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(transport.socketChannel())
                // Close with RST: a probe every few seconds per backend would otherwise leave a
                // TIME_WAIT socket on the proxy host each time (HAProxy closes its checks the same way).
                .option(ChannelOption.SO_LINGER, 0);
    }

    @Override
    public Handle probe(InetSocketAddress target, HealthCheckConfig check, Consumer<Result> done) {
        long timeoutMillis = Math.max(1, check.timeout().toMillis());
        ProbeHandler handler = new ProbeHandler(check, timeoutMillis, target, done);
        ChannelFuture connect = bootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .handler(handler)
                .connect(target);
        handler.start(connect, loop);
        return handler;
    }
}
