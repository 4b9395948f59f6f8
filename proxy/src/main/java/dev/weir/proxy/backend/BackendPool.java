package dev.weir.proxy.backend;

import dev.weir.proxy.balance.Balancer;
import dev.weir.proxy.balance.Balancers;
import dev.weir.proxy.config.BalanceKind;
import java.util.List;

/**
 * The backends of one pool and the immutable snapshot the data path reads: the backends eligible
 * for new connections and a balancer built for exactly them. Every membership or state change
 * publishes a new snapshot through one volatile reference; the data path never locks.
 */
public final class BackendPool {

    /** What the data path sees: eligible backends and their balancer, never mutated. */
    public record Snapshot(List<Backend> eligible, Balancer balancer) {
    }

    private final String name;
    private final BalanceKind balance;
    private final List<Backend> members;
    private volatile Snapshot snapshot;

    public BackendPool(String name, BalanceKind balance, List<Backend> members) {
        this.name = name;
        this.balance = balance;
        this.members = List.copyOf(members);
        rebuild();
    }

    public String name() {
        return name;
    }

    public BalanceKind balance() {
        return balance;
    }

    /** Every configured backend, whatever its state. */
    public List<Backend> members() {
        return members;
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    /** Finds a member by id ({@code name} or {@code host:port}); null when absent. */
    public Backend backend(String id) {
        for (Backend b : members) {
            if (b.id().equals(id)) {
                return b;
            }
        }
        return null;
    }

    /** Changes a backend's state and publishes a new snapshot. */
    public synchronized void setState(Backend backend, BackendState state) {
        if (backend.state() != state) {
            backend.state(state);
            rebuild();
        }
    }

    private synchronized void rebuild() {
        List<Backend> eligible = members.stream().filter(b -> b.state() == BackendState.UP).toList();
        snapshot = new Snapshot(eligible, Balancers.create(balance, eligible));
    }
}
