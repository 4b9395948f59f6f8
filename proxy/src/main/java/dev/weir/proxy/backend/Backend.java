package dev.weir.proxy.backend;

import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One server of a pool: identity, weight, state and live counters. Shared by every event loop:
 * counters are atomic, state fields volatile. State changes go through {@link BackendPool}, which
 * publishes a new snapshot after each one.
 */
public final class Backend {

    private final String id;
    private final String key;
    private final InetSocketAddress address;
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final LongAdder totalConnections = new LongAdder();
    private final LongAdder connectFailures = new LongAdder();
    private final LongAdder bytesToBackend = new LongAdder();
    private final LongAdder bytesFromBackend = new LongAdder();
    private final Set<LiveConnection> live = ConcurrentHashMap.newKeySet();
    private volatile int weight;
    private volatile int maxConnections;
    private volatile boolean healthy = true;
    private volatile AdminState admin = AdminState.ACTIVE;
    private volatile boolean removed;
    private volatile long drainStartedMillis;
    private volatile Runnable onIdle;
    private volatile Runnable loadWatcher;

    /**
     * @param id      shown to operators: the configured name, else {@code host:port}
     * @param key     the identity hashed by ip-hash: {@code host:port} exactly as configured, so every
     *                instance with the same config builds the same table
     * @param address resolved address to connect to
     * @param weight  1..1000
     */
    public Backend(String id, String key, InetSocketAddress address, int weight) {
        this.id = id;
        this.key = key;
        this.address = address;
        weight(weight);
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

    void weight(int weight) {
        if (weight < 1) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: >= 1)");
        }
        this.weight = weight;
    }

    /** UP only when active and healthy; eligible for new connections only then. */
    public BackendState state() {
        AdminState a = admin;
        if (a == AdminState.DISABLED) {
            return BackendState.DISABLED;
        }
        if (a == AdminState.DRAINING) {
            return BackendState.DRAINING;
        }
        return healthy ? BackendState.UP : BackendState.DOWN;
    }

    public boolean healthy() {
        return healthy;
    }

    void healthy(boolean healthy) {
        this.healthy = healthy;
    }

    public AdminState admin() {
        return admin;
    }

    void admin(AdminState admin) {
        this.admin = admin;
        drainStartedMillis = admin == AdminState.DRAINING ? System.currentTimeMillis() : 0;
    }

    /** Removed from the pool's config: draining, and gone from the pool once its last connection ends. */
    public boolean removed() {
        return removed;
    }

    /** Marks the backend removed; {@code onIdle} runs when its last connection ends. True if none is live now. */
    boolean markRemoved(Runnable onIdle) {
        this.onIdle = onIdle;
        this.removed = true;
        return activeConnections.get() == 0;
    }

    /** When the current drain started (epoch millis), 0 when not draining. */
    public long drainStartedMillis() {
        return drainStartedMillis;
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

    public long bytesToBackend() {
        return bytesToBackend.sum();
    }

    public long bytesFromBackend() {
        return bytesFromBackend.sum();
    }

    /** Live connections at most; 0 = unlimited. */
    public int maxConnections() {
        return maxConnections;
    }

    public void maxConnections(int max) {
        this.maxConnections = max;
    }

    /** A connection to this backend is being attempted or is live. */
    public void connectionStarted() {
        activeConnections.incrementAndGet();
        totalConnections.increment();
        loadChanged();
    }

    /**
     * Like {@link #connectionStarted()} unless the backend is at max-connections; atomic, so
     * concurrent event loops never push it past its cap. False = full, nothing counted.
     */
    public boolean tryConnectionStarted() {
        int max = maxConnections;
        while (true) {
            int now = activeConnections.get();
            if (max > 0 && now >= max) {
                return false;
            }
            if (activeConnections.compareAndSet(now, now + 1)) {
                totalConnections.increment();
                loadChanged();
                return true;
            }
        }
    }

    /** Undoes {@link #connectionStarted()}: the connect failed or the connection ended. */
    public void connectionEnded() {
        int now = activeConnections.decrementAndGet();
        loadChanged();
        if (now == 0 && removed) {
            Runnable r = onIdle;
            if (r != null) {
                r.run();
            }
        }
    }

    /**
     * Runs {@code watcher} after every change of {@link #activeConnections()}, on the thread that
     * made it (an event loop: it must be quick and never block). One watcher at a time: a
     * least-connections balancer keeps its load order with it. Null stops watching.
     */
    public void watchLoad(Runnable watcher) {
        this.loadWatcher = watcher;
    }

    private void loadChanged() {
        Runnable w = loadWatcher;
        if (w != null) {
            w.run();
        }
    }

    public void connectFailed() {
        connectFailures.increment();
    }

    /** A connected client; closed by the pool on drain timeout or close-on-down. */
    public void register(LiveConnection c) {
        live.add(c);
    }

    /** The connection ended: the pool can no longer close it. */
    public void unregister(LiveConnection c) {
        live.remove(c);
    }

    /** Bytes relayed to this backend, counted as they pass (the admin API shows live progress). */
    public void addBytesTo(long n) {
        bytesToBackend.add(n);
    }

    /** Bytes relayed from this backend, counted as they pass. */
    public void addBytesFrom(long n) {
        bytesFromBackend.add(n);
    }

    /** The live (connected) connections, for closing them. */
    Set<LiveConnection> liveConnections() {
        return live;
    }

    @Override
    public String toString() {
        return id;
    }
}
