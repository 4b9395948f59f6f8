package dev.weir.proxy.relay;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.handler.codec.haproxy.HAProxySSLTLV;
import io.netty.handler.codec.haproxy.HAProxyTLV;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;

/**
 * Sits after Netty's {@code HAProxyMessageDecoder} (v1 and v2, single decode, TLVs capped): turns
 * the decoded header into a {@link Prelude.ClientIdentified} event and steps aside. A LOCAL
 * command or an UNKNOWN protocol (an upstream balancer's own health check) keeps the real peer as
 * the client, as the spec says. The message is reference-counted and released here.
 */
final class ProxyHeaderReader extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HAProxyMessage header)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            InetSocketAddress peer = (InetSocketAddress) ctx.channel().remoteAddress();
            InetSocketAddress local = (InetSocketAddress) ctx.channel().localAddress();
            InetSocketAddress client = peer;
            InetSocketAddress destination = local;
            HAProxyProxiedProtocol p = header.proxiedProtocol();
            if (header.command() == HAProxyCommand.PROXY
                    && (p == HAProxyProxiedProtocol.TCP4 || p == HAProxyProxiedProtocol.TCP6)) {
                // Literal addresses checked by the decoder: no DNS lookup happens here.
                client = new InetSocketAddress(header.sourceAddress(), header.sourcePort());
                destination = new InetSocketAddress(header.destinationAddress(), header.destinationPort());
                if (client.isUnresolved() || destination.isUnresolved()) {
                    // A v1 IPv6 zone that names no interface (fe80::1%nope) passes the decoder but is no address.
                    throw new io.netty.handler.codec.haproxy.HAProxyProtocolException("unresolvable address in header");
                }
            } else if (header.command() == HAProxyCommand.PROXY && p != HAProxyProxiedProtocol.UNKNOWN) {
                // AF_UNIX or UDP over a TCP listener: nothing Weir can balance on.
                throw new io.netty.handler.codec.haproxy.HAProxyProtocolException(
                        "unsupported proxied protocol " + p);
            }
            for (HAProxyTLV tlv : header.tlvs()) {
                if (tlv instanceof HAProxySSLTLV ssl) {
                    for (HAProxyTLV inner : ssl.encapsulatedTLVs()) {
                        if (inner instanceof HAProxySSLTLV) {
                            // The spec has no SSL TLV inside an SSL TLV; such nesting is an attack pattern (CVE-2022-41881).
                            throw new io.netty.handler.codec.haproxy.HAProxyProtocolException("nested SSL TLV");
                        }
                    }
                }
            }
            ctx.pipeline().remove(this);
            ctx.fireUserEventTriggered(new Prelude.ClientIdentified(client, destination));
        } finally {
            ReferenceCountUtil.release(header);
        }
    }
}
