package dev.weir.proxy.config;

/**
 * {@code pools.NAME.backends[i]}.
 *
 * @param name optional display name; null when the config gives none
 */
public record BackendConfig(HostPort address, int weight, String name) {

    /** The backend's identity: its name when given, else {@code host:port} as written. */
    public String id() {
        return name != null ? name : address.toString();
    }
}
