package dev.weir.proxy.backend;

/** What an operator (or a config change) decided for a backend, independent of its health. */
public enum AdminState {
    /** Takes new connections when healthy. */
    ACTIVE,
    /** No new connections; live ones continue until they end or the pool's drain-timeout passes. */
    DRAINING,
    /** No new connections; live ones continue (nothing closes them). */
    DISABLED
}
