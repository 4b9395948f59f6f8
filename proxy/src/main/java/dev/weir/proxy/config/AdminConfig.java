package dev.weir.proxy.config;

/**
 * {@code admin:}: the admin HTTP endpoint.
 *
 * @param bind  where it listens; null = admin endpoint off
 * @param token bearer token required for every state change; empty = none (then state changes
 *              are allowed only when {@code bind} is a loopback address)
 */
public record AdminConfig(HostPort bind, String token) {

    @Override
    public String toString() {
        return "AdminConfig[bind=" + bind + ", token=" + (token == null || token.isEmpty() ? "" : "****") + "]";
    }
}
