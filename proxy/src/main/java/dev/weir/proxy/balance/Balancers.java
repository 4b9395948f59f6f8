package dev.weir.proxy.balance;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.Balancer;
import dev.weir.proxy.config.BalanceKind;
import java.util.List;

/** Builds the {@link Balancer} for a pool's {@code balance} setting. */
public final class Balancers {

    private static final Balancer NONE = (client, tried) -> null;

    private Balancers() {}

    /**
     * @param eligible the backends that may take new connections now, in config order; copied, so
     *                 later changes to the list do not affect the balancer
     * @return a balancer over {@code eligible}; one that always returns null if it is empty
     */
    public static Balancer create(BalanceKind kind, List<Backend> eligible) {
        if (eligible.isEmpty()) {
            return NONE;
        }
        List<Backend> backends = List.copyOf(eligible);
        return switch (kind) {
            case ROUND_ROBIN -> new SmoothWeightedRoundRobin(backends);
            case IP_HASH -> new Maglev(backends);
            case LEAST_CONNECTIONS -> new LeastConnections(backends);
            case RANDOM_TWO -> new RandomTwo(backends);
        };
    }

    /**
     * Like {@link #create(BalanceKind, List)}, but ip-hash builds its Maglev table over every
     * {@code member} (whatever its state) and walks past the ones that are not UP at pick time. A
     * backend going DOWN, DRAINING or DISABLED then moves only its own clients; every other client
     * keeps its backend, and gets it back when the state returns to UP. Such a change builds no new
     * table either: {@code previous} (the pool's last balancer, or null) is handed back while the
     * members and their weights are the same.
     */
    public static Balancer create(BalanceKind kind, List<Backend> eligible, List<Backend> members, Balancer previous) {
        if (kind == BalanceKind.IP_HASH && !members.isEmpty() && !eligible.isEmpty()) {
            return MemberTable.reuseOrBuild(previous, members);
        }
        return create(kind, eligible);
    }
}
