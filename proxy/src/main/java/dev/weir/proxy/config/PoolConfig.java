package dev.weir.proxy.config;

import java.time.Duration;
import java.util.List;

/**
 * {@code pools.NAME}: a set of backends and how to spread clients over them.
 *
 * @param backends     the static list; empty when {@code discovery} is set
 * @param healthCheck  active checks; null = none (every backend counts as healthy)
 * @param passive      passive ejection; null = off
 * @param drainTimeout a draining backend's live connections are closed after this long
 * @param closeSpread  ... spread over this window, so clients do not reconnect in one burst
 * @param closeOnDown  close a backend's live connections when it goes DOWN
 * @param discovery    take the backends from DNS; null = use {@code backends}
 * @param warmPool     pre-connected idle sockets per backend; null = off
 * @param keepAlive    TCP keep-alive timings on upstream sockets; null = the OS defaults (SO_KEEPALIVE stays on)
 * @param proxyProtocol PROXY header written to backends before any relayed byte; null = none
 */
public record PoolConfig(
        String name,
        BalanceKind balance,
        Duration connectTimeout,
        int connectAttempts,
        List<BackendConfig> backends,
        HealthCheckConfig healthCheck,
        PassiveConfig passive,
        Duration drainTimeout,
        Duration closeSpread,
        boolean closeOnDown,
        DiscoveryConfig discovery,
        WarmPoolConfig warmPool,
        KeepAliveConfig keepAlive,
        ProxyProtocolVersion proxyProtocol,
        BackendTlsConfig tls) {

    /** Plaintext to backends. */
    public PoolConfig(String name, BalanceKind balance, Duration connectTimeout, int connectAttempts,
                      List<BackendConfig> backends, HealthCheckConfig healthCheck, PassiveConfig passive,
                      Duration drainTimeout, Duration closeSpread, boolean closeOnDown, DiscoveryConfig discovery,
                      WarmPoolConfig warmPool, KeepAliveConfig keepAlive, ProxyProtocolVersion proxyProtocol) {
        this(name, balance, connectTimeout, connectAttempts, backends, healthCheck, passive, drainTimeout, closeSpread,
                closeOnDown, discovery, warmPool, keepAlive, proxyProtocol, null);
    }

    public PoolConfig {
        backends = List.copyOf(backends);
    }

    /** Without a PROXY header to backends. */
    public PoolConfig(String name, BalanceKind balance, Duration connectTimeout, int connectAttempts,
                      List<BackendConfig> backends, HealthCheckConfig healthCheck, PassiveConfig passive,
                      Duration drainTimeout, Duration closeSpread, boolean closeOnDown, DiscoveryConfig discovery,
                      WarmPoolConfig warmPool, KeepAliveConfig keepAlive) {
        this(name, balance, connectTimeout, connectAttempts, backends, healthCheck, passive, drainTimeout,
                closeSpread, closeOnDown, discovery, warmPool, keepAlive, null);
    }
}
