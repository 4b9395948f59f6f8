package dev.weir.proxy.config;

import java.time.Duration;

/**
 * {@code listeners.NAME}: where clients connect and which pool serves them.
 *
 * @param idleTimeout no byte in either direction for this long closes both sides
 * @param writeBufferLow  resume reading the peer once a side's pending output falls below this (bytes)
 * @param writeBufferHigh stop reading the peer once a side's pending output exceeds this (bytes)
 * @param edge            PROXY protocol in, SNI, access lists, per-client limits, lifetime cap
 * @param tls             {@code listeners.NAME.tls}: TLS terminated here; null = bytes pass through
 */
public record ListenerConfig(
        String name,
        HostPort bind,
        String pool,
        int maxConnections,
        Duration idleTimeout,
        int writeBufferLow,
        int writeBufferHigh,
        EdgeConfig edge,
        TlsConfig tls) {

    /** Without TLS termination. */
    public ListenerConfig(String name, HostPort bind, String pool, int maxConnections, Duration idleTimeout,
                          int writeBufferLow, int writeBufferHigh, EdgeConfig edge) {
        this(name, bind, pool, maxConnections, idleTimeout, writeBufferLow, writeBufferHigh, edge, null);
    }

    /** Without edge features. */
    public ListenerConfig(String name, HostPort bind, String pool, int maxConnections, Duration idleTimeout,
                          int writeBufferLow, int writeBufferHigh) {
        this(name, bind, pool, maxConnections, idleTimeout, writeBufferLow, writeBufferHigh, EdgeConfig.NONE);
    }
}
