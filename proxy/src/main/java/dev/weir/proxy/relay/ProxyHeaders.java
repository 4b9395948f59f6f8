package dev.weir.proxy.relay;

import dev.weir.proxy.config.ProxyProtocolVersion;
import io.netty.channel.Channel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * {@code pools.NAME.proxy-protocol}: writes the PROXY header to the backend before any relayed byte
 * (also on a pre-connected socket, when a client takes it). Source is the real client, destination
 * what it connected to. Mixed families (an IPv4 client on an IPv6 listener) are sent as TCP6 with
 * the IPv4 address mapped.
 */
final class ProxyHeaders {

    private ProxyHeaders() {
    }

    static void writeIfConfigured(Connection conn) {
        ProxyProtocolVersion version = conn.pool().config().proxyProtocol();
        if (version == null) {
            return;
        }
        Channel out = conn.backendChannel();
        out.pipeline().addFirst("proxy-header", HAProxyMessageEncoder.INSTANCE);
        out.write(message(version, conn.clientAddress(), conn.destination()), out.voidPromise());
        out.pipeline().remove("proxy-header");
    }

    static HAProxyMessage message(ProxyProtocolVersion version, InetSocketAddress src, InetSocketAddress dst) {
        InetAddress s = src.getAddress();
        InetAddress d = dst.getAddress();
        boolean v4 = s instanceof Inet4Address && d instanceof Inet4Address;
        String sourceIp = v4 ? s.getHostAddress() : v6(s);
        String destIp = v4 ? d.getHostAddress() : v6(d);
        return new HAProxyMessage(version == ProxyProtocolVersion.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2,
                HAProxyCommand.PROXY, v4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6,
                sourceIp, destIp, src.getPort(), dst.getPort());
    }

    /** An address as IPv6 text; IPv4 becomes ::ffff:a.b.c.d. */
    private static String v6(InetAddress a) {
        if (a instanceof Inet4Address) {
            // Java folds a mapped address back to Inet4Address, so the mapped form is written as text.
            return "::ffff:" + a.getHostAddress();
        }
        return a.getHostAddress();
    }
}
