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

    /** What {@link #validName} allows, for an error message. */
    public static final String NAME_EXPECTED = Parsers.NAME_EXPECTED;

    /**
     * True when {@code name} may name a backend, as the config's {@code name:} and the admin API's add allow: it holds
     * no {@code :}, so a name never reads as a {@code host:port}.
     */
    public static boolean validName(String name) {
        return Parsers.isName(name);
    }

    /** The backend's identity: its name when given, else {@code host:port} as written. */
    public String id() {
        return name != null ? name : address.toString();
    }
}
