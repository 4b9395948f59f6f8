package dev.weir.proxy.config;

import java.time.Duration;
import java.util.List;

/**
 * {@code pools.NAME.discovery}: the pool's backends are the A and AAAA records of {@code dns}.
 *
 * @param resolvers DNS servers to ask; empty = the system's (/etc/resolv.conf)
 * @param weight    weight of every discovered backend
 */
public record DiscoveryConfig(String dns, int port, Duration refresh, List<HostPort> resolvers, int weight) {

    public DiscoveryConfig {
        resolvers = List.copyOf(resolvers);
    }
}
