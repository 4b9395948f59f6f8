package dev.weir.proxy.config;

/**
 * {@code pools.NAME.backends[i]}.
 *
 * @param name           optional display name; null when the config gives none
 * @param maxConnections live connections at most; 0 = unlimited
 */
public record BackendConfig(HostPort address, int weight, String name, int maxConnections) {

    public BackendConfig(HostPort address, int weight, String name) {
        this(address, weight, name, 0);
    }

    /** The backend's identity: its name when given, else {@code host:port} as written. */
    public String id() {
        return name != null ? name : address.toString();
    }
}
