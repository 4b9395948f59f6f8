package dev.weir.proxy.balance;

import dev.weir.proxy.backend.Backend;
import java.net.InetAddress;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * least-connections: the untried backend with the lowest {@code activeConnections / weight}
 * (with equal weights, simply the fewest connections; nginx's least_conn rule). Backends that
 * tie are spread at random (the scan starts at a random backend), so an idle pool does not send
 * every connection to the first backend. Counts are read without a lock: each is a live atomic, and a slightly stale
 * view only costs one connection's worth of imbalance.
 */
final class LeastConnections implements Balancer {

    private final Backend[] backends;

    LeastConnections(List<Backend> eligible) {
        this.backends = eligible.toArray(new Backend[0]);
    }

    @Override
    public Backend pick(InetAddress client, Collection<Backend> tried) {
        // One scan from a random starting point; the first of the least loaded wins, so ties spread
        // over the pool with one random draw per pick (not one per tied backend).
        int n = backends.length;
        int start = n == 1 ? 0 : ThreadLocalRandom.current().nextInt(n);
        boolean checkTried = !tried.isEmpty();
        Backend best = null;
        long bestActive = 0;
        for (int k = 0; k < n; k++) {
            Backend b = backends[(start + k) % n];
            if (checkTried && tried.contains(b)) {
                continue;
            }
            long active = b.activeConnections();
            if (best == null || compareLoad(active, b.weight(), bestActive, best.weight()) < 0) {
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
