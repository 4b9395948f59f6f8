package dev.weir.proxy.balance;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.Balancer;
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
 * <p>The sequence is periodic with period {@code sum(weights)}, so when that is small enough it is
 * computed once at construction and a pick is one atomic increment and an array read: O(1) and
 * lock-free however many backends there are. A pick that must skip tried backends walks on along
 * the same sequence. For very large weight sums the sequence is computed on the fly instead:
 * one {@code synchronized} block over {@code n} additions and a comparison, no I/O or allocation.
 */
final class SmoothWeightedRoundRobin implements Balancer {

    private final Backend[] backends;
    private final int[] weights;
    private final int totalWeight;
    private final long[] current; // guarded by this
    /** The whole cycle, precomputed; null when too large (then {@link #choose} runs per pick). */
    private final int[] cycle;
    private final java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong();

    /** Precompute the cycle while it costs at most this many steps (about a few milliseconds). */
    static final long MAX_PRECOMPUTE_STEPS = 4_000_000;

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
        if ((long) total * backends.length <= MAX_PRECOMPUTE_STEPS) {
            int[] seq = new int[total];
            for (int i = 0; i < total; i++) {
                seq[i] = choose(null);
            }
            this.cycle = seq; // after a whole cycle the current weights are back to zero
        } else {
            this.cycle = null;
        }
    }

    @Override
    public Backend pick(InetAddress client, Collection<Backend> tried) {
        if (cycle != null) {
            return pickFromCycle(tried);
        }
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

    private Backend pickFromCycle(Collection<Backend> tried) {
        int len = cycle.length;
        if (tried.isEmpty()) {
            return backends[cycle[(int) Math.floorMod(next.getAndIncrement(), (long) len)]];
        }
        // Walk on along the cycle to the first untried backend; each step is a pick of the cycle.
        for (int step = 0; step < len; step++) {
            Backend b = backends[cycle[(int) Math.floorMod(next.getAndIncrement(), (long) len)]];
            if (!tried.contains(b)) {
                return b;
            }
        }
        return null;
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
