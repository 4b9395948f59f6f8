package dev.weir.proxy.balance;

import dev.weir.proxy.backend.Backend;
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
}
