package dev.weir.proxy.balance;

import dev.weir.proxy.backend.Backend;
import java.net.InetAddress;
import java.util.Collection;
import java.util.List;

/**
 * round-robin: nginx's smooth weighted round-robin. On each pick every backend's current weight
 * grows by its weight, the backend with the largest current weight wins (first in list order on
 * a tie) and loses the total weight. Weights 5,1,1 give {@code a a b a c a a}: each cycle of
 * {@code sum(weights)} picks hands out exactly {@code weight} picks to each backend, interleaved.
 *
 * <p>If the winner was tried, the largest untried current weight wins instead; the currents
 * still sum to zero, so the cycle stays exact for later picks.
 *
 * <p>Thread-safety: one {@code synchronized} block over {@code n} additions and a comparison,
 * no I/O and no allocation. Picks happen once per new connection, so the lock is held for well
 * under a microsecond and contention is negligible next to a TCP connect; a lock-free scheme
 * would need a CAS over the whole current-weight vector for no measurable gain.
 */
final class SmoothWeightedRoundRobin implements Balancer {

    private final Backend[] backends;
    private final int[] weights;
    private final int totalWeight;
    private final long[] current; // guarded by this

    SmoothWeightedRoundRobin(List<Backend> eligible) {
        if (eligible.isEmpty()) {
            throw new IllegalArgumentException("eligible: [] (expected: at least one backend)");
        }
        this.backends = eligible.toArray(new Backend[0]);
        this.weights = new int[backends.length];
        int total = 0;
        for (int i = 0; i < backends.length; i++) {
            weights[i] = backends[i].weight();
            total += weights[i];
        }
        this.totalWeight = total;
        this.current = new long[backends.length];
    }

    @Override
    public Backend pick(InetAddress client, Collection<Backend> tried) {
        boolean[] skip = null;
        if (!tried.isEmpty()) {
            // Outside the lock: contains() is the caller's collection and may be slow.
            skip = new boolean[backends.length];
            boolean anyLeft = false;
            for (int i = 0; i < backends.length; i++) {
                skip[i] = tried.contains(backends[i]);
                anyLeft |= !skip[i];
            }
            if (!anyLeft) {
                return null;
            }
        }
        return backends[choose(skip)];
    }

    private synchronized int choose(boolean[] skip) {
        int best = -1;
        for (int i = 0; i < current.length; i++) {
            current[i] += weights[i];
            if ((skip == null || !skip[i]) && (best < 0 || current[i] > current[best])) {
                best = i;
            }
        }
        current[best] -= totalWeight;
        return best;
    }
}
