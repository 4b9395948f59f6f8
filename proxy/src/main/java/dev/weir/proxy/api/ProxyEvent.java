package dev.weir.proxy.api;

/**
 * Something an operator wants to see on a timeline (the status page's recent events): a backend's state changed, it
 * started to drain, joined or left, or a reload ran.
 *
 * @param atMillis when (epoch millis)
 * @param pool     the backend's pool; null for a reload
 * @param backend  the backend's id; null for a reload
 * @param text     what happened, in words, e.g. {@code UP -> DOWN (connection refused)}
 */
public record ProxyEvent(long atMillis, Type type, String pool, String backend, String text) {

    /** What kind of event. */
    public enum Type {
        /** A backend's state changed (health, disable, enable). */
        STATE,
        /** A backend started to drain (operator, config change or removal). */
        DRAIN,
        /** A backend joined or left its pool. */
        MEMBERSHIP,
        /** A reload ran: RELOADED, UNCHANGED or FAILED. */
        RELOAD
    }
}
