package dev.weir.proxy.config;

import java.time.Duration;
import java.util.List;

/** {@code pools.NAME}: a set of backends and how to spread clients over them. */
public record PoolConfig(
        String name,
        BalanceKind balance,
        Duration connectTimeout,
        int connectAttempts,
        List<BackendConfig> backends) {

    public PoolConfig {
        backends = List.copyOf(backends);
    }
}
