package dev.weir.proxy.config;

import java.time.Duration;

/**
 * {@code pools.NAME.keep-alive}: TCP keep-alive probes on upstream sockets.
 *
 * @param idle     no traffic for this long before the first probe (TCP_KEEPIDLE)
 * @param interval between probes (TCP_KEEPINTVL)
 * @param count    unanswered probes before the socket is dropped (TCP_KEEPCNT)
 */
public record KeepAliveConfig(Duration idle, Duration interval, int count) {
}
