package dev.weir.proxy.control;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.backend.ConnectFeedback;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.health.PoolHealth;
import dev.weir.proxy.metrics.ProxyMetrics;
import dev.weir.proxy.tls.ClientTls;

/**
 * A pool's health checks, as the stage between its members and its snapshot: the members it is told of are
 * checked (active probes, and passive ejection fed by the connect results of real traffic), and each verdict sets
 * the backend's state in the pool, which publishes a new snapshot. Off when the pool has neither kind of check.
 *
 * <p>Thread rule: the control thread, where the health state lives too, so a verdict applies at once; the
 * connect feedback comes from every event loop and hops there inside {@link PoolHealth}.
 */
final class HealthStage implements AutoCloseable {

    private final BackendPool pool;
    private final ProxyParts parts;
    /** Read by the connect feedback on the event loops. */
    private volatile PoolHealth health;
    private boolean activeChecks;
    private ClientTls tls;

    HealthStage(BackendPool pool, ProxyParts parts) {
        this.pool = pool;
        this.parts = parts;
    }

    /** Starts checking every member (the present ones count as healthy until checks say otherwise). */
    void start(PoolConfig config) {
        activeChecks = config.healthCheck() != null;
        if (config.healthCheck() == null && config.passive() == null) {
            return;
        }
        ProxyMetrics metrics = parts.metrics();
        PoolHealth h = new PoolHealth(config.name(), config.healthCheck(), config.passive(), parts.control().executor(),
                parts.healthLoop(), parts.transport(), new PoolHealth.Listener() {
                    @Override
                    public void healthChanged(Backend b, boolean healthy, String cause) {
                        metrics.healthChanged(b, healthy);
                        pool.setHealthy(b, healthy);
                    }

                    @Override
                    public void probed(Backend b, boolean ok, long durationMillis) {
                        metrics.probed(b, ok, durationMillis);
                    }
                });
        h.proxyProtocol(config.proxyProtocol());
        h.tls(tls);
        for (Backend b : pool.members()) {
            h.add(b, b.healthy());
        }
        health = h;
        pool.feedback(new ConnectFeedback() {
            @Override
            public void connectFailed(Backend b, String cause) {
                PoolHealth now = health;
                if (now != null) {
                    now.connectFailed(b, cause);
                }
            }

            @Override
            public void connectSucceeded(Backend b) {
                PoolHealth now = health;
                if (now != null) {
                    now.connectSucceeded(b);
                }
            }
        });
    }

    /** The pool's TLS to its backends (at start, and from each reload): probes speak it too. */
    void tls(ClientTls next) {
        tls = next;
        PoolHealth h = health;
        if (h != null) {
            h.tls(next);
        }
    }

    /** New check settings from a reload; state and counters of the members are kept. */
    void update(PoolConfig next) {
        activeChecks = next.healthCheck() != null;
        PoolHealth h = health;
        boolean wants = next.healthCheck() != null || next.passive() != null;
        if (h != null && wants) {
            h.proxyProtocol(next.proxyProtocol());
            h.update(next.healthCheck(), next.passive());
        } else if (h != null) {
            h.close();
            health = null;
            pool.feedback(ConnectFeedback.NONE);
            pool.members().forEach(b -> pool.setHealthy(b, true));
        } else if (wants) {
            start(next);
        }
    }

    /** A new member: with active checks it is DOWN until its first passing probe. */
    void join(Backend b) {
        PoolHealth h = health;
        pool.add(b, h == null || !activeChecks);
        if (h != null) {
            h.add(b, false);
        }
    }

    /** A member has left the pool: its checks stop. */
    void forget(Backend b) {
        PoolHealth h = health;
        if (h != null) {
            h.remove(b);
        }
    }

    /** The checks' state for the API; null when the pool has none. */
    PoolHealth health() {
        return health;
    }

    @Override
    public void close() {
        PoolHealth h = health;
        if (h != null) {
            h.close();
            health = null;
        }
    }
}
