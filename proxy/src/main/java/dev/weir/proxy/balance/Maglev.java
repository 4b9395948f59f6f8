package dev.weir.proxy.balance;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.Balancer;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * ip-hash: Maglev consistent hashing (Eisenbud et al., NSDI'16) with weights, as Katran does.
 * The table depends only on the backends' keys and weights, so two Weir instances with the same
 * pool config send a client IP to the same backend without sharing state. Exactly:
 *
 * <ol>
 *   <li>Table size {@code M = 65537} (prime; Envoy's default; {@code M > 100·N} keeps every
 *       backend's share within about 1% of its ideal for up to 655 backends).
 *   <li>Backends are sorted by {@link Backend#key()} (String order), so input order is
 *       irrelevant. For backend {@code i} with key bytes {@code k} (UTF-8):
 *       {@code offset = hash(0, k) mod M}, {@code skip = hash(1, k) mod (M-1) + 1}, where
 *       {@code hash} is {@link Hashing#hash} (FNV-1a 64 then murmur3 fmix64, seed byte first,
 *       mod on the unsigned value). Its preference list is
 *       {@code (offset + j·skip) mod M} for {@code j = 0, 1, 2, ...}.
 *   <li>Population in rounds until the table is full. Each round visits the backends in sorted
 *       order; each adds its weight to its credit, and if the credit is at least the largest
 *       weight {@code W} in the pool it takes its next preferred empty slot and the credit drops
 *       by {@code W}. A backend of weight {@code w} so takes {@code w/W} of the slots a
 *       heaviest backend takes (Katran's MaglevV2 scheme); equal weights give plain Maglev.
 *   <li>Lookup: {@code slot = hash(2, ip.getAddress()) mod M} over the 4 (IPv4) or 16 (IPv6)
 *       raw address bytes; the port is never hashed. If that slot's backend was tried, slots
 *       {@code slot+1, slot+2, ...} (wrapping) are walked to the first untried backend.
 * </ol>
 *
 * The table is an immutable {@code int[]} of indexes into the sorted backend array, built once
 * in the constructor, so lookups take no lock.
 */
final class Maglev implements Balancer {

    static final int TABLE_SIZE = 65537;

    private final Backend[] backends;
    private final int[] table;

    Maglev(List<Backend> eligible) {
        if (eligible.isEmpty()) {
            throw new IllegalArgumentException("eligible: [] (expected: at least one backend)");
        }
        this.backends = eligible.toArray(new Backend[0]);
        Arrays.sort(backends, Comparator.comparing(Backend::key).thenComparingInt(Backend::weight));
        this.table = populate(backends);
    }

    private static int[] populate(Backend[] backends) {
        int n = backends.length;
        int[] next = new int[n];
        int[] skip = new int[n];
        long[] credit = new long[n];
        int maxWeight = 1;
        for (int i = 0; i < n; i++) {
            byte[] key = backends[i].key().getBytes(StandardCharsets.UTF_8);
            next[i] = Hashing.mod(Hashing.hash(Hashing.SEED_OFFSET, key), TABLE_SIZE);
            skip[i] = Hashing.mod(Hashing.hash(Hashing.SEED_SKIP, key), TABLE_SIZE - 1) + 1;
            maxWeight = Math.max(maxWeight, backends[i].weight());
        }
        int[] table = new int[TABLE_SIZE];
        Arrays.fill(table, -1);
        int filled = 0;
        while (filled < TABLE_SIZE) {
            for (int i = 0; i < n && filled < TABLE_SIZE; i++) {
                credit[i] += backends[i].weight();
                if (credit[i] < maxWeight) {
                    continue;
                }
                credit[i] -= maxWeight;
                // M is prime and 1 <= skip < M, so the preference list visits every slot.
                int slot = next[i];
                while (table[slot] >= 0) {
                    slot = (int) ((slot + (long) skip[i]) % TABLE_SIZE);
                }
                table[slot] = i;
                next[i] = (int) ((slot + (long) skip[i]) % TABLE_SIZE);
                filled++;
            }
        }
        return table;
    }

    @Override
    public Backend pick(InetAddress client, Collection<Backend> tried) {
        int slot = slotOf(client);
        Backend first = backends[table[slot]];
        if (tried.isEmpty() || !tried.contains(first)) {
            return first;
        }
        if (allTried(tried)) {
            return null;
        }
        for (int step = 1; step < TABLE_SIZE; step++) {
            Backend b = backends[table[(slot + step) % TABLE_SIZE]];
            if (!tried.contains(b)) {
                return b;
            }
        }
        // Only backends with no slot are left (more backends than slots, or tiny weights).
        for (Backend b : backends) {
            if (!tried.contains(b)) {
                return b;
            }
        }
        return null;
    }

    private boolean allTried(Collection<Backend> tried) {
        for (Backend b : backends) {
            if (!tried.contains(b)) {
                return false;
            }
        }
        return true;
    }

    static int slotOf(InetAddress client) {
        return Hashing.mod(Hashing.hash(Hashing.SEED_CLIENT, client.getAddress()), TABLE_SIZE);
    }

    /** Backends in table order (sorted by key). */
    List<Backend> backends() {
        return List.of(backends);
    }

    /** A copy of the table: indexes into {@link #backends()}. */
    int[] table() {
        return table.clone();
    }

    /** Slots held by each backend, aligned with {@link #backends()}. */
    int[] entryCounts() {
        int[] counts = new int[backends.length];
        for (int i : table) {
            counts[i]++;
        }
        return counts;
    }
}
