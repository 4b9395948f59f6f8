package dev.weir.proxy.relay;

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
    /** The backend was drained (by an operator or a config change) and its drain-timeout passed. */
    DRAIN_TIMEOUT,
    /** The backend went DOWN and its pool has close-on-down. */
    BACKEND_DOWN,
    /** No byte in either direction for the listener's idle-timeout. */
    IDLE_TIMEOUT,
    /** Still open when the shutdown drain-timeout ran out. */
    SHUTDOWN
}
