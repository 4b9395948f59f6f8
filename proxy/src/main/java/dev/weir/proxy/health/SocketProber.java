package dev.weir.proxy.health;

import dev.weir.proxy.config.HealthCheckConfig;
import dev.weir.proxy.tls.ClientTls;
import dev.weir.proxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/** Probes over real sockets: non-blocking connects on the health loop, one channel per probe. */
final class SocketProber implements Prober {

    /** v2 LOCAL: the signature, version 2 + LOCAL, AF_UNSPEC, no address block. */
    static final byte[] V2_LOCAL = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00};
    static final byte[] V1_UNKNOWN = "PROXY UNKNOWN\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private volatile byte[] proxyHeader;
    private volatile ClientTls tls;

    SocketProber(EventLoop loop, Transport transport) {
        this.loop = loop;
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channelFactory(transport.socketChannels())
                // Close with RST: a probe every few seconds per backend would otherwise leave a
                // TIME_WAIT socket on the proxy host each time (HAProxy closes its checks the same way).
                .option(ChannelOption.SO_LINGER, 0);
    }

    /**
     * The pool's PROXY version, for checks with {@code proxy-protocol: true}: they open with a header
     * that says "a health check, not a client" (v2 LOCAL, v1 UNKNOWN), as HAProxy's checks do.
     */
    void proxyProtocol(dev.weir.proxy.config.ProxyProtocolVersion version) {
        proxyHeader = version == null ? null
                : version == dev.weir.proxy.config.ProxyProtocolVersion.V2 ? V2_LOCAL : V1_UNKNOWN;
    }

    /** The pool's TLS to its backends: probes speak it too (null: plaintext). */
    void tls(ClientTls tls) {
        this.tls = tls;
    }

    @Override
    public Handle probe(InetSocketAddress target, HealthCheckConfig check, Consumer<Result> done) {
        long timeoutMillis = Math.max(1, check.timeout().toMillis());
        byte[] header = check.proxyProtocol() ? proxyHeader : null;
        ProbeHandler handler = new ProbeHandler(check, timeoutMillis, target, done, header, check.tls() ? tls : null);
        ChannelFuture connect = bootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .handler(handler)
                .connect(target);
        handler.start(connect, loop);
        return handler;
    }
}
