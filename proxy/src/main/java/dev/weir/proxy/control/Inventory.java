package dev.weir.proxy.control;

import dev.weir.proxy.api.ConnectionList;
import dev.weir.proxy.relay.ProxyListener;
import java.util.NoSuchElementException;

/**
 * What runs, listed for the operator: a listener's live connections.
 *
 * <p>Thread rule: the control thread only; {@link #connections} waits there for the event loops, at most
 * {@link #LOOP_WAIT_MILLIS}.
 */
final class Inventory {

    /** How long the event loops have to read their connections for one answer (they take microseconds). */
    static final long LOOP_WAIT_MILLIS = 1000;

    private final Registry registry;

    Inventory(Registry registry) {
        this.registry = registry;
    }

    /** See {@link dev.weir.proxy.api.ProxyControl#connections}. */
    ConnectionList connections(String listener, int limit) {
        ProxyListener l = registry.listeners.get(listener);
        if (l == null) {
            throw new NoSuchElementException("no listener \"" + listener + "\" (listeners: "
                    + String.join(", ", registry.listeners.keySet()) + ")");
        }
        return l.connections(limit, LOOP_WAIT_MILLIS);
    }
}
