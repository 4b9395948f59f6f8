package dev.weir.proxy.backend;

import dev.weir.proxy.backend.Backend;
import java.net.InetAddress;
import dev.weir.proxy.config.BalanceKind;
import java.util.Collection;
import java.util.List;

/**
 * Picks the backend for a new client connection. Built for one fixed set of eligible backends
 * (a new balancer is built when membership or state changes). Called from every event loop at
 * once: implementations are thread-safe and never block or do I/O.
 */
public interface Balancer {

    /**
     * @param client the client's IP (ip-hash keys on it; others may ignore it)
     * @param tried  backends already tried for this client (a connect failed); never returned
     *               while another backend is left. Usually empty.
     * @return the backend, or null when every backend has been tried or there is none
     */
    Backend pick(InetAddress client, Collection<Backend> tried);

    /**
     * Builds a pool's balancer (the algorithms live in {@code balance}; the pool is handed this instead of
     * importing them). ip-hash may hand {@code previous} back while members and weights are the same.
     */
    @FunctionalInterface
    interface Factory {
        Balancer create(BalanceKind kind, List<Backend> eligible, List<Backend> members, Balancer previous);
    }
}
