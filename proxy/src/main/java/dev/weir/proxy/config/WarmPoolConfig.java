package dev.weir.proxy.config;

import java.time.Duration;

/**
 * {@code pools.NAME.warm-pool}: pre-connected idle sockets kept per backend, spread over the event
 * loops, so a client skips the connect round trip.
 *
 * @param minIdle     idle sockets kept per backend (all event loops together)
 * @param maxIdleTime an idle socket is retired before this (keep it below the backend's idle timeout)
 */
public record WarmPoolConfig(int minIdle, Duration maxIdleTime) {
}
