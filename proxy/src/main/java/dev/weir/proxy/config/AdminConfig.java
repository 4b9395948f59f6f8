package dev.weir.proxy.config;

import java.util.Objects;

/**
 * {@code admin:}: the admin HTTP endpoint.
 *
 * @param bind  where it listens; null = admin endpoint off
 * @param token bearer token required for every state change; empty = none (then state changes
 *              are allowed only when {@code bind} is a loopback address)
 * @param allowedHosts host names a request's {@code Host} may name besides localhost and IP addresses (lower-case)
 * @param tokenVariable the environment variable the token came from, when the file wrote it as one reference
 *              ({@code ${VAR}} or {@code ${VAR:-default}}); null otherwise. Only where it came from, so that the API can
 *              show the reference instead of the token: equals and hashCode leave it out
 */
public record AdminConfig(HostPort bind, String token, java.util.List<String> allowedHosts, String tokenVariable) {

    public AdminConfig {
        allowedHosts = java.util.List.copyOf(allowedHosts);
    }

    public AdminConfig(HostPort bind, String token, java.util.List<String> allowedHosts) {
        this(bind, token, allowedHosts, null);
    }

    public AdminConfig(HostPort bind, String token) {
        this(bind, token, java.util.List.of());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AdminConfig a && Objects.equals(bind, a.bind) && Objects.equals(token, a.token)
                && allowedHosts.equals(a.allowedHosts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(bind, token, allowedHosts);
    }

    @Override
    public String toString() {
        return "AdminConfig[bind=" + bind + ", token=" + (token == null || token.isEmpty() ? "" : "****")
                + ", allowedHosts=" + allowedHosts + "]";
    }
}
