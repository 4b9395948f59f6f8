package dev.weir.proxy.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What a listener checks before it connects a client: PROXY protocol in, SNI routing, access lists,
 * per-client limits, and a cap on a connection's lifetime. Every part is optional.
 *
 * @param proxyProtocol         {@code listeners.NAME.proxy-protocol}; null = no header expected
 * @param sni                   {@code listeners.NAME.sni}; null = the listener's pool for everyone
 * @param allow                 {@code listeners.NAME.allow}; empty = everyone (unless denied)
 * @param deny                  {@code listeners.NAME.deny}; wins over allow
 * @param perClient             {@code listeners.NAME.per-client}; null = no per-source limits
 * @param maxConnectionDuration {@code listeners.NAME.max-connection-duration}; null = unlimited
 */
public record EdgeConfig(
        ProxyProtocolAccept proxyProtocol,
        Sni sni,
        List<Cidr> allow,
        List<Cidr> deny,
        PerClient perClient,
        Duration maxConnectionDuration) {

    public static final EdgeConfig NONE = new EdgeConfig(null, null, List.of(), List.of(), null, null);

    public EdgeConfig {
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
    }

    /**
     * {@code proxy-protocol: {accept: true, trusted: [...], timeout: 3s}}: a PROXY v1/v2 header is
     * required from trusted sources; other sources are closed.
     *
     * @param maxTlvBytes cap on the TLVs of a v2 header
     */
    public record ProxyProtocolAccept(List<Cidr> trusted, Duration timeout, int maxTlvBytes) {
        public ProxyProtocolAccept {
            trusted = List.copyOf(trusted);
        }
    }

    /**
     * {@code sni: {routes: {"api.example.com": api, "*.example.com": web}, default: web,
     * max-client-hello: 16KiB, timeout: 5s}}.
     *
     * @param routes      server name (exact, or {@code *.suffix}) to pool, in file order
     * @param passthrough the server names of {@code routes} written {@code {pool: P, passthrough: true}}: on a
     *                    listener that terminates TLS their connections are relayed still encrypted
     * @param defaultPool pool for no SNI, not TLS, an oversized or slow hello, no match; null = close
     */
    public record Sni(Map<String, String> routes, java.util.Set<String> passthrough, String defaultPool,
                      int maxClientHello, Duration timeout) {
        public Sni {
            routes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(routes));
            passthrough = java.util.Set.copyOf(passthrough);
        }

        public Sni(Map<String, String> routes, String defaultPool, int maxClientHello, Duration timeout) {
            this(routes, java.util.Set.of(), defaultPool, maxClientHello, timeout);
        }
    }

    /**
     * {@code per-client: {max-connections: 100, connect-rate: 50/s}} per source IP.
     *
     * @param maxConnections       live connections per source IP; 0 = unlimited
     * @param connectRatePerSecond new connections per second per source IP (burst the same); 0 = unlimited
     */
    public record PerClient(int maxConnections, double connectRatePerSecond) {
    }
}
