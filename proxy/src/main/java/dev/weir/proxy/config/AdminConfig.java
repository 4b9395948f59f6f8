package dev.weir.proxy.config;

/**
 * {@code admin:}: the admin HTTP endpoint.
 *
 * @param bind  where it listens; null = admin endpoint off
 * @param token bearer token required for every state change; empty = none (then state changes
 *              are allowed only when {@code bind} is a loopback address)
 * @param allowedHosts host names a request's {@code Host} may name besides localhost and IP addresses (lower-case)
 */
public record AdminConfig(HostPort bind, String token, java.util.List<String> allowedHosts) {

    public AdminConfig {
        allowedHosts = java.util.List.copyOf(allowedHosts);
    }

    public AdminConfig(HostPort bind, String token) {
        this(bind, token, java.util.List.of());
    }

    @Override
    public String toString() {
        return "AdminConfig[bind=" + bind + ", token=" + (token == null || token.isEmpty() ? "" : "****")
                + ", allowedHosts=" + allowedHosts + "]";
    }
}
