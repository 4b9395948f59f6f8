package dev.weir.proxy.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * {@code admin:}: the admin HTTP endpoint.
 *
 * @param bind  where it listens; null = admin endpoint off
 * @param token bearer token required for every state change; empty = none (then state changes
 *              are allowed only when {@code bind} is a loopback address)
 * @param allowedHosts host names a request's {@code Host} may name besides localhost and IP addresses (lower-case)
 * @param headerTimeout how long a client has to send a whole request, counted from accept (the first request) or
 *                      from the request's first byte (a later one on a keep-alive connection)
 * @param maxConnectionsPerClient admin connections one source address may hold at once
 * @param tokenVariable the environment variable the token came from, when the file wrote it as one reference
 *              ({@code ${VAR}} or {@code ${VAR:-default}}); null otherwise. Only where it came from, so that the API can
 *              show the reference instead of the token: equals and hashCode leave it out
 */
public record AdminConfig(HostPort bind, String token, List<String> allowedHosts, Duration headerTimeout,
                          int maxConnectionsPerClient, String tokenVariable) {

    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 16;

    public AdminConfig {
        allowedHosts = List.copyOf(allowedHosts);
    }

    public AdminConfig(HostPort bind, String token, List<String> allowedHosts) {
        this(bind, token, allowedHosts, DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS_PER_CLIENT);
    }

    public AdminConfig(HostPort bind, String token, List<String> allowedHosts, Duration headerTimeout,
                       int maxConnectionsPerClient) {
        this(bind, token, allowedHosts, headerTimeout, maxConnectionsPerClient, null);
    }

    public AdminConfig(HostPort bind, String token) {
        this(bind, token, List.of());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AdminConfig a && Objects.equals(bind, a.bind) && Objects.equals(token, a.token)
                && allowedHosts.equals(a.allowedHosts) && Objects.equals(headerTimeout, a.headerTimeout)
                && maxConnectionsPerClient == a.maxConnectionsPerClient;
    }

    @Override
    public int hashCode() {
        return Objects.hash(bind, token, allowedHosts, headerTimeout, maxConnectionsPerClient);
    }

    @Override
    public String toString() {
        return "AdminConfig[bind=" + bind + ", token=" + (token == null || token.isEmpty() ? "" : "****")
                + ", allowedHosts=" + allowedHosts + ", headerTimeout=" + headerTimeout
                + ", maxConnectionsPerClient=" + maxConnectionsPerClient + "]";
    }
}
