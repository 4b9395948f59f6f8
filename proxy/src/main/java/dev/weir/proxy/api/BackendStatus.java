package dev.weir.proxy.api;

import dev.weir.proxy.backend.AdminState;
import dev.weir.proxy.backend.BackendState;
import dev.weir.proxy.health.HealthStatus;

/**
 * One backend as an operator sees it (the admin API serializes this).
 *
 * @param id       its name when the config gives one, else {@code address}
 * @param name     the configured name; null when it has none
 * @param address  {@code host:port} as configured
 * @param health   null when the pool has no health checks
 * @param warmIdle idle pre-connected sockets (0 without a warm pool)
 */
public record BackendStatus(
        String id,
        String name,
        String address,
        BackendState state,
        AdminState admin,
        boolean removed,
        int weight,
        int activeConnections,
        long totalConnections,
        long connectFailures,
        long bytesToBackend,
        long bytesFromBackend,
        long drainStartedMillis,
        HealthStatus health,
        int warmIdle) {
}
