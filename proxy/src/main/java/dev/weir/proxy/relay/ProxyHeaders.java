package dev.weir.proxy.relay;

import dev.weir.proxy.config.ProxyProtocolVersion;
import dev.weir.proxy.metrics.AccessLog;
import io.netty.channel.Channel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * {@code pools.NAME.proxy-protocol}: writes the PROXY header to the backend before any relayed byte
 * (also on a pre-connected socket, when a client takes it). Source is the real client, destination
 * what it connected to. Mixed families (an IPv4 client on an IPv6 listener) are sent as TCP6 with
 * the IPv4 address mapped. A v2 header of a connection whose TLS the listener terminated carries the session
 * ({@link ProxyTlvs}). A pool with {@code tls} sends it before its handshake, in plaintext.
 */
final class ProxyHeaders {

    private ProxyHeaders() {
    }

    /** Writes the pool's PROXY header to {@code out}, if it has one; true if it did. */
    static boolean writeIfConfigured(Connection conn, Channel out) {
        ProxyProtocolVersion version = conn.pool().config().proxyProtocol();
        if (version == null) {
            return false;
        }
        out.pipeline().addFirst("proxy-header", HAProxyMessageEncoder.INSTANCE);
        out.write(message(version, conn.clientAddress(), conn.destination(), conn.tls()), out.voidPromise());
        out.pipeline().remove("proxy-header");
        return true;
    }

    static HAProxyMessage message(ProxyProtocolVersion version, InetSocketAddress src, InetSocketAddress dst) {
        return message(version, src, dst, null);
    }

    /** {@code tls}: the session the listener terminated (v2 carries it in TLVs); null for none. */
    static HAProxyMessage message(ProxyProtocolVersion version, InetSocketAddress src, InetSocketAddress dst,
                                  AccessLog.Tls tls) {
        InetAddress s = src.getAddress();
        InetAddress d = dst.getAddress();
        boolean v4 = s instanceof Inet4Address && d instanceof Inet4Address;
        String sourceIp = v4 ? s.getHostAddress() : v6(s);
        String destIp = v4 ? d.getHostAddress() : v6(d);
        HAProxyProxiedProtocol family = v4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6;
        if (version == ProxyProtocolVersion.V1) {
            return new HAProxyMessage(HAProxyProtocolVersion.V1, HAProxyCommand.PROXY, family,
                    sourceIp, destIp, src.getPort(), dst.getPort());
        }
        return new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY, family,
                sourceIp, destIp, src.getPort(), dst.getPort(), tls == null ? List.of() : ProxyTlvs.of(tls));
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
