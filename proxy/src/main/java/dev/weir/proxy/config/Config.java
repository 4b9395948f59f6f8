package dev.weir.proxy.config;

import java.util.Map;

/**
 * The whole configuration, validated: one immutable tree of records built by {@link ConfigLoader}.
 * Maps keep the order of the YAML file.
 *
 * @param eventLoopSpin how long an epoll event loop looks for events before it blocks (0: it blocks at once)
 * @param maxRead the most bytes one read from a socket may take; each connection's reads start small
 *                and grow up to this while they come back full
 * @param tlsProvider the TLS implementation of every listener and pool (auto: BoringSSL where it loads)
 */
public record Config(
        TransportKind transport,
        int eventLoopThreads,
        java.time.Duration eventLoopSpin,
        int maxRead,
        TlsProviderKind tlsProvider,
        Map<String, ListenerConfig> listeners,
        Map<String, PoolConfig> pools,
        ShutdownConfig shutdown,
        ReloadConfig reload,
        AdminConfig admin,
        AccessLogConfig accessLog) {

    public Config {
        listeners = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(listeners));
        pools = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(pools));
    }
}
