package dev.weir.proxy.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code listeners.NAME} written back for {@link ConfigTree}: its own keys, the edge keys and {@code tls}. */
final class ListenerTree {

    /** The digits {@code connect-rate} takes after the point. */
    private static final int RATE_SCALE = 9;

    private ListenerTree() {
    }

    static TreeSection of(ListenerConfig l) {
        EdgeConfig edge = l.edge();
        return new TreeSection()
                .put(ListenerSchema.BIND, l.bind())
                .put(ListenerSchema.POOL, l.pool())
                .number(ListenerSchema.MAX_CONNECTIONS, l.maxConnections())
                .put(ListenerSchema.IDLE_TIMEOUT, l.idleTimeout())
                .raw(ListenerSchema.WRITE_BUFFER, new TreeSection()
                        .put(ListenerSchema.LOW, l.writeBufferLow())
                        .put(ListenerSchema.HIGH, l.writeBufferHigh()))
                .list(EdgeSchema.ALLOW, edge.allow(), Cidr::toString)
                .list(EdgeSchema.DENY, edge.deny(), Cidr::toString)
                .put(EdgeSchema.MAX_CONNECTION_DURATION, edge.maxConnectionDuration())
                .raw(EdgeSchema.PROXY_PROTOCOL, proxyProtocol(edge.proxyProtocol()))
                .raw(EdgeSchema.SNI, sni(edge.sni()))
                .raw(TlsSchema.TLS, tls(l.tls()))
                .raw(EdgeSchema.PER_CLIENT, perClient(edge.perClient()));
    }

    private static TreeSection proxyProtocol(EdgeConfig.ProxyProtocolAccept p) {
        return p == null ? null : new TreeSection()
                .flag(EdgeSchema.ACCEPT, true)
                .list(EdgeSchema.TRUSTED, p.trusted(), Cidr::toString)
                .put(EdgeSchema.PROXY_TIMEOUT, p.timeout())
                .put(EdgeSchema.MAX_TLV_SIZE, p.maxTlvBytes());
    }

    private static TreeSection sni(EdgeConfig.Sni sni) {
        if (sni == null) {
            return null;
        }
        Map<String, Object> routes = new LinkedHashMap<>();
        sni.routes().forEach((server, pool) -> routes.put(server, !sni.passthrough().contains(server) ? pool
                : new TreeSection().put(EdgeSchema.ROUTE_POOL, pool).flag(EdgeSchema.PASSTHROUGH, true).map()));
        return new TreeSection()
                .raw(EdgeSchema.ROUTES, routes)
                .put(EdgeSchema.DEFAULT_POOL, sni.defaultPool())
                .put(EdgeSchema.MAX_CLIENT_HELLO, sni.maxClientHello())
                .put(EdgeSchema.SNI_TIMEOUT, sni.timeout());
    }

    /** {@code connect-rate} is left out for no limit, as the file leaves it out. */
    private static TreeSection perClient(EdgeConfig.PerClient p) {
        return p == null ? null : new TreeSection()
                .number(EdgeSchema.PER_CLIENT_CONNECTIONS, p.maxConnections())
                .raw(EdgeSchema.CONNECT_RATE, p.connectRatePerSecond() > 0 ? rate(p.connectRatePerSecond()) : null);
    }

    /**
     * Connections per second as the file writes a rate: {@code 50/s}, or per minute where that is what reads back
     * exactly ({@code 1/m}, which per second has no end: 0.0166...).
     */
    static String rate(double perSecond) {
        BigDecimal s = BigDecimal.valueOf(perSecond).stripTrailingZeros();
        if (s.scale() <= RATE_SCALE) {
            return s.toPlainString() + "/s";
        }
        BigDecimal m = BigDecimal.valueOf(perSecond * 60).setScale(RATE_SCALE, RoundingMode.HALF_EVEN)
                .stripTrailingZeros();
        if (m.doubleValue() / 60 == perSecond) {
            return m.toPlainString() + "/m";
        }
        return s.setScale(RATE_SCALE, RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString() + "/s";
    }

    private static TreeSection tls(TlsConfig tls) {
        return tls == null ? null : new TreeSection()
                .list(TlsSchema.CERTIFICATES, tls.certificates(), c -> new TreeSection()
                        .put(TlsSchema.CERT, c.cert())
                        .put(TlsSchema.KEY, c.key())
                        .map())
                .list(TlsSchema.PROTOCOLS, tls.protocols(), p -> p)
                .list(TlsSchema.CIPHERS, tls.ciphers(), c -> c)
                .list(TlsSchema.ALPN, tls.alpn(), a -> a)
                .put(TlsSchema.CLIENT_AUTH, tls.clientAuth())
                .put(TlsSchema.CLIENT_CA, tls.clientCa())
                .put(TlsSchema.HANDSHAKE_TIMEOUT, tls.handshakeTimeout())
                .raw(TlsSchema.SESSION_TICKETS, new TreeSection()
                        .flag(TlsSchema.TICKETS_ENABLED, tls.sessionTickets().enabled())
                        .put(TlsSchema.TICKETS_ROTATE, tls.sessionTickets().rotate()));
    }
}
