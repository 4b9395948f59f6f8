package dev.weir.proxy.control;

import dev.weir.proxy.api.ProxyEvent;
import dev.weir.proxy.api.ProxyInfo;
import dev.weir.proxy.api.ReloadResult;
import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.backend.BackendState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.LongSupplier;

/**
 * The recent events the status page lists: a backend's state changes, drains, joins and departures, and reloads, the
 * last {@value #CAPACITY} in a fixed ring; and the last reload's result. A backend's change is told by its pool's
 * change callback, which does not say what it was before, so the state each backend was last seen in is kept here.
 *
 * <p>Thread rule: the control thread only (pool changes and reloads run there, and so do the admin API's reads).
 */
final class EventLog {

    static final int CAPACITY = 50;
    /** An event's text at most (a reload of many changes): the log line has them all. */
    private static final int MAX_TEXT = 500;

    private final LongSupplier millis;
    private final ProxyEvent[] ring = new ProxyEvent[CAPACITY];
    private int next;
    private int size;
    // Weak: a pool a failed reload built, or one a reload removed, takes its backends with it (Backend's equality is
    // identity, so this is an identity map too).
    private final Map<Backend, BackendState> lastSeen = new WeakHashMap<>();
    private ProxyInfo.LastReload lastReload;

    EventLog(LongSupplier millis) {
        this.millis = millis;
    }

    /** The pool's members as they are now, without an event (a pool built by a start or a reload). */
    void known(BackendPool pool) {
        pool.members().forEach(b -> lastSeen.put(b, b.state()));
    }

    /**
     * {@code b} of {@code pool} joined, changed state or left.
     *
     * @param cause why its last health check failed; null when none did
     */
    void backendChanged(BackendPool pool, Backend b, String cause) {
        BackendState was = lastSeen.get(b);
        BackendState now = b.state();
        if (!pool.members().contains(b)) {
            lastSeen.remove(b);
            add(ProxyEvent.Type.MEMBERSHIP, pool.name(), b.id(), "left the pool");
            return;
        }
        lastSeen.put(b, now);
        if (was == null) {
            add(ProxyEvent.Type.MEMBERSHIP, pool.name(), b.id(), "joined the pool (" + now + ")");
        } else if (now == BackendState.DRAINING && was != now) {
            int live = b.activeConnections();
            add(ProxyEvent.Type.DRAIN, pool.name(), b.id(), (b.removed() ? "removed: draining " : "draining ") + live
                    + (live == 1 ? " connection" : " connections"));
        } else if (was != now) {
            add(ProxyEvent.Type.STATE, pool.name(), b.id(), was + " -> " + now
                    + (now == BackendState.DOWN && cause != null ? " (" + cause + ")" : ""));
        }
    }

    /** A reload ended with {@code r}. */
    void reloaded(ReloadResult r) {
        long at = millis.getAsLong();
        lastReload = new ProxyInfo.LastReload(at, r);
        String text = switch (r.outcome()) {
            case RELOADED -> "RELOADED: " + String.join("; ", r.changes());
            case UNCHANGED -> "UNCHANGED";
            case FAILED -> "FAILED: " + String.join("; ", r.errors());
        };
        add(ProxyEvent.Type.RELOAD, null, null, text);
    }

    /** The last reload; null when none ran since the start. */
    ProxyInfo.LastReload lastReload() {
        return lastReload;
    }

    /** The events kept, the oldest first. */
    List<ProxyEvent> events() {
        List<ProxyEvent> out = new ArrayList<>(size);
        int start = (next - size + CAPACITY) % CAPACITY;
        for (int i = 0; i < size; i++) {
            out.add(ring[(start + i) % CAPACITY]);
        }
        return out;
    }

    private void add(ProxyEvent.Type type, String pool, String backend, String text) {
        String t = text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT) + "..." : text;
        ring[next] = new ProxyEvent(millis.getAsLong(), type, pool, backend, t);
        next = (next + 1) % CAPACITY;
        size = Math.min(size + 1, CAPACITY);
    }
}
