package dev.weir.proxy.backend;

/** Where a backend stands for new connections. Only UP backends are picked. */
public enum BackendState {
    /** Active and healthy: eligible for new connections. */
    UP,
    /** Failed health checks (active or passive). */
    DOWN,
    /** Taken out by an operator or removed from the config: no new connections, live ones continue. */
    DRAINING,
    /** Taken out by an operator. */
    DISABLED
}
