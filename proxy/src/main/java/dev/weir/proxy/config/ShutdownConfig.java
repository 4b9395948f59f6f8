package dev.weir.proxy.config;

import java.time.Duration;

/** {@code shutdown:}: how long SIGTERM waits for live connections before closing them. */
public record ShutdownConfig(Duration drainTimeout) {
}
