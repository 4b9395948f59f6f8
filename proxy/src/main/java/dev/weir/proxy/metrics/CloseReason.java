package dev.weir.proxy.metrics;

/** Why a client connection ended. Tags metrics and the access log; the first reason set wins. */
public enum CloseReason {
    /** The client finished first (FIN or close) and the rest completed normally. */
    CLIENT_CLOSED,
    /** The backend finished first (FIN or close) and the rest completed normally. */
    BACKEND_CLOSED,
    /** The client's socket failed (reset, I/O error). */
    CLIENT_ERROR,
    /** The backend's socket failed (reset, I/O error). */
    BACKEND_ERROR,
    /** Every connect attempt failed (refused, timed out, unreachable). */
    CONNECT_FAILED,
    /** The pool had no backend eligible for new connections. */
    NO_HEALTHY_BACKEND,
    /** The listener was at max-connections when the client arrived. */
    CONNECTION_LIMIT,
    /** The listener terminates TLS and the client's handshake failed or timed out; no backend was connected. */
    TLS_HANDSHAKE_FAILED,
    /** The backend was drained (by an operator or a config change) and its drain-timeout passed. */
    DRAIN_TIMEOUT,
    /** The backend went DOWN and its pool has close-on-down. */
    BACKEND_DOWN,
    /** No byte in either direction for the listener's idle-timeout. */
    IDLE_TIMEOUT,
    /** Every eligible backend was at its max-connections. */
    BACKENDS_FULL,
    /** The client's address is denied by the listener's allow/deny lists. */
    ACL_DENIED,
    /** The client's address already had per-client max-connections open. */
    CLIENT_LIMIT,
    /** The client's address opened connections faster than per-client connect-rate. */
    CLIENT_RATE,
    /** A PROXY header was required but the connection came from an untrusted address. */
    UNTRUSTED_PROXY,
    /** The PROXY header was malformed, of an unsupported kind, or too large. */
    PROXY_MALFORMED,
    /** The PROXY header did not arrive within its timeout. */
    PROXY_TIMEOUT,
    /** SNI found no route and the listener has no default pool. */
    SNI_REJECTED,
    /** The connection reached the listener's max-connection-duration. */
    MAX_DURATION,
    /** Still open when the shutdown drain-timeout ran out. */
    SHUTDOWN
}
