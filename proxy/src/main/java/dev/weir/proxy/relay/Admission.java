package dev.weir.proxy.relay;

import dev.weir.proxy.config.Cidr;
import dev.weir.proxy.config.EdgeConfig;
import dev.weir.proxy.metrics.CloseReason;
import java.net.InetAddress;
import java.util.List;

/**
 * Whether a listener takes a client: the access lists (deny wins; a non-empty allow list admits only its blocks),
 * then the per-client limits, on the real client's address.
 *
 * <p>Thread rule: {@link #admit} and {@link #release} run on every event loop at once (the limiter is
 * thread-safe); {@link #update} on the control thread, {@link #sweep} on a timer.
 */
final class Admission {

    private final PerClientLimiter perClient;
    private volatile EdgeConfig edge;

    Admission(EdgeConfig edge) {
        this.edge = edge;
        this.perClient = new PerClientLimiter(edge.perClient());
    }

    void update(EdgeConfig next) {
        this.edge = next;
        perClient.update(next.perClient());
    }

    /** Null when {@code conn} is admitted; else why it is refused. An admitted, counted client is released later. */
    CloseReason admit(Connection conn) {
        EdgeConfig e = edge;
        InetAddress ip = conn.clientAddress().getAddress();
        if (anyContains(e.deny(), ip) || (!e.allow().isEmpty() && !anyContains(e.allow(), ip))) {
            return CloseReason.ACL_DENIED;
        }
        CloseReason limit = perClient.admit(ip);
        if (limit == null && e.perClient() != null) {
            conn.countedPerClient();
        }
        return limit;
    }

    void release(InetAddress ip) {
        perClient.release(ip);
    }

    /** Sources tracked by the per-client limiter (bounded; for tests and status). */
    int trackedClients() {
        return perClient.size();
    }

    /** Drops idle per-client entries. */
    void sweep() {
        perClient.sweep();
    }

    static boolean anyContains(List<Cidr> blocks, InetAddress ip) {
        for (Cidr c : blocks) {
            if (c.contains(ip)) {
                return true;
            }
        }
        return false;
    }
}
