package dev.weir.proxy.backend;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One server of a pool: identity, weight, state and live counters. Shared by every event loop, so
 * counters are atomic; everything else is fixed at construction.
 */
public final class Backend {

    private final String id;
    private final String key;
    private final InetSocketAddress address;
    private final int weight;
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final LongAdder totalConnections = new LongAdder();
    private final LongAdder connectFailures = new LongAdder();
    private volatile BackendState state = BackendState.UP;

    /**
     * @param id      shown to operators: the configured name, else {@code host:port}
     * @param key     the identity hashed by ip-hash: {@code host:port} exactly as configured, so every
     *                instance with the same config builds the same table
     * @param address resolved address to connect to
     * @param weight  1..1000
     */
    public Backend(String id, String key, InetSocketAddress address, int weight) {
        if (weight < 1) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: >= 1)");
        }
        this.id = id;
        this.key = key;
        this.address = address;
        this.weight = weight;
    }

    public String id() {
        return id;
    }

    public String key() {
        return key;
    }

    public InetSocketAddress address() {
        return address;
    }

    public int weight() {
        return weight;
    }

    public BackendState state() {
        return state;
    }

    public void state(BackendState state) {
        this.state = state;
    }

    /** Live connections relayed to this backend (connecting ones included). */
    public int activeConnections() {
        return activeConnections.get();
    }

    public long totalConnections() {
        return totalConnections.sum();
    }

    public long connectFailures() {
        return connectFailures.sum();
    }

    /** A connection to this backend is being attempted or is live. */
    public void connectionStarted() {
        activeConnections.incrementAndGet();
        totalConnections.increment();
    }

    /** Undoes {@link #connectionStarted()}: the connect failed or the connection ended. */
    public void connectionEnded() {
        activeConnections.decrementAndGet();
    }

    public void connectFailed() {
        connectFailures.increment();
    }

    @Override
    public String toString() {
        return id;
    }
}
