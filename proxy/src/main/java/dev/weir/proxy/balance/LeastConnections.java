package dev.weir.proxy.balance;

import dev.weir.proxy.backend.Backend;
import java.net.InetAddress;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * least-connections: the untried backend with the lowest {@code activeConnections / weight}
 * (with equal weights, simply the fewest connections; nginx's least_conn rule). Backends that
 * tie are chosen uniformly at random, so an idle pool does not send every connection to the
 * first backend. Counts are read without a lock: each is a live atomic, and a slightly stale
 * view only costs one connection's worth of imbalance.
 */
final class LeastConnections implements Balancer {

    private final Backend[] backends;

    LeastConnections(List<Backend> eligible) {
        this.backends = eligible.toArray(new Backend[0]);
    }

    @Override
    public Backend pick(InetAddress client, Collection<Backend> tried) {
        Backend best = null;
        long bestActive = 0;
        int ties = 0;
        for (Backend b : backends) {
            if (!tried.isEmpty() && tried.contains(b)) {
                continue;
            }
            long active = b.activeConnections();
            int cmp = best == null ? -1 : compareLoad(active, b.weight(), bestActive, best.weight());
            if (cmp < 0) {
                best = b;
                bestActive = active;
                ties = 1;
            } else if (cmp == 0 && ThreadLocalRandom.current().nextInt(++ties) == 0) {
                // Reservoir sampling: each of the k tied backends ends up chosen with odds 1/k.
                best = b;
                bestActive = active;
            }
        }
        return best;
    }

    /** Compares {@code a1/w1} with {@code a2/w2} exactly, without division. */
    static int compareLoad(long a1, int w1, long a2, int w2) {
        return Long.compare(a1 * w2, a2 * w1);
    }
}
