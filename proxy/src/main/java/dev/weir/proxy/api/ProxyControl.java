package dev.weir.proxy.api;

import dev.weir.proxy.config.Config;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.Executor;

/**
 * What the admin endpoint may read and change of a running proxy, and nothing more.
 *
 * <p>Thread rule: the readers marked "never waits" read published immutable state and may be called from any
 * thread (the admin event loop calls them). Every other method changes or lists control-plane state: it runs on
 * the {@link #controlExecutor()} when called there (as the admin endpoint does), and hops to it and waits for the
 * answer when called from any other thread that is not an event loop.
 */
public interface ProxyControl {

    /** True once every listener is bound and until shutdown starts (the admin /readyz). Never waits. */
    boolean isReady();

    /** True once shutdown has started. Never waits. */
    boolean isStopping();

    /**
     * The config in effect: replaced whole by a reload, except the keys a reload keeps until restart (transport,
     * event-loop-threads, event-loop-spin, max-read, tls-provider), which stay as they were at start. Never waits.
     */
    Config config();

    /** The bound address of a listener (the real port when the config said port 0). Never waits. */
    InetSocketAddress listenerAddress(String listener) throws NoSuchElementException;

    /** Where the proxy's meters are registered. Never waits. */
    MeterRegistry registry();

    /** The one thread every control-plane change runs on; admin calls that change or list state run there. */
    Executor controlExecutor();

    List<String> poolNames();

    /** Every backend of a pool with its state, counters and health; NoSuchElementException for an unknown pool. */
    List<BackendStatus> backends(String pool);

    /** No new connections to the backend; live ones finish or are closed at the pool's drain-timeout. */
    void drain(String pool, String id);

    void disable(String pool, String id);

    /** Back in rotation (when healthy). IllegalStateException for a removed backend. */
    void enable(String pool, String id);

    /** Adds a backend (its host resolved here); IllegalStateException when the address or name is taken. */
    BackendStatus addBackend(String pool, String address, int weight, String name);

    /** Drains the backend, then it leaves the pool when its last connection ends. */
    void removeBackend(String pool, String id);

    /**
     * Up to {@code limit} (1..1000) live connections of a listener, the oldest first, with the total; each is read on
     * its own event loop, and this waits for them a bounded time. NoSuchElementException for an unknown listener.
     */
    ConnectionList connections(String listener, int limit);

    /** Every certificate the proxy presents (terminating listeners', pools' client certificates), as loaded. */
    List<CertificateStatus> certificates();

    /** Re-reads the config file given at start; FAILED (and nothing changed) when it is invalid. */
    ReloadResult reloadFromFile();

    /** The process, the traffic history and the recent events (the status page). */
    StatusFeed status();
}
