package dev.weir.proxy.control;

import dev.weir.proxy.admin.AdminServer;
import dev.weir.proxy.api.ProxyControl;
import dev.weir.proxy.api.StartException;
import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.config.AccessLogConfig;
import dev.weir.proxy.config.AdminConfig;
import dev.weir.proxy.config.BackendConfig;
import dev.weir.proxy.config.ListenerConfig;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.metrics.AccessLog;
import dev.weir.proxy.relay.ProxyListener;
import io.netty.channel.Channel;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The named changes a {@link ReloadPlan} is made of. Each may {@link Step#prepare} what can fail without touching
 * what runs, {@link Step#commit}s without failing, and {@link Step#discard}s what it prepared and did not put into
 * use. Thread rule: the control thread, as the plan.
 */
final class ReloadSteps {

    private ReloadSteps() {
    }

    abstract static class Step {
        void prepare() throws StartException, InterruptedException {
        }

        /** Applies the change; adds a line to {@code changes} when it changed something. */
        abstract void commit(List<String> changes);

        /** Closes what {@link #prepare} made and {@link #commit} did not use (after a failed prepare, or always after a commit). */
        void discard() {
        }
    }

    /** A process-wide setting that needs new event loops: reported, applied at the next start. */
    static final class KeptUntilRestart extends Step {
        private final String line;

        KeptUntilRestart(String line) {
            this.line = line;
        }

        @Override
        void commit(List<String> changes) {
            changes.add(line);
        }
    }

    /** A new pool: built (its static backends resolved) in prepare, started in commit. */
    static final class PoolAdded extends Step {
        private final PoolConfig config;
        private final ProxyParts parts;
        private final Registry registry;
        private PoolSupervisor prepared;
        private boolean used;

        PoolAdded(PoolConfig config, ProxyParts parts, Registry registry) {
            this.config = config;
            this.parts = parts;
            this.registry = registry;
        }

        @Override
        void prepare() throws StartException {
            prepared = parts.newPool(config);
        }

        /** The pool built in prepare (a new listener of the same reload serves it). */
        BackendPool pool() {
            return prepared.pool;
        }

        @Override
        void commit(List<String> changes) {
            registry.pools.put(config.name(), prepared);
            used = true;
            prepared.start(false);
            registry.publish();
            changes.add("pool " + config.name() + ": added");
        }

        @Override
        void discard() {
            if (prepared != null && !used) {
                prepared.close();
            }
        }
    }

    /** A pool in both configs: its new static backends resolved in prepare; settings and members reconciled in commit. */
    static final class PoolReconciled extends Step {
        private final PoolSupervisor pool;
        private final PoolConfig next;
        private final Map<String, Backend> resolved = new HashMap<>();

        PoolReconciled(PoolSupervisor pool, PoolConfig next) {
            this.pool = pool;
            this.next = next;
        }

        @Override
        void prepare() throws StartException {
            if (next.discovery() == null) {
                for (BackendConfig bc : pool.newStaticBackends(next)) {
                    resolved.put(bc.address().toString(), PoolSupervisor.newBackend(bc, "pools." + next.name() + ".backends"));
                }
            }
        }

        @Override
        void commit(List<String> changes) {
            changes.addAll(pool.update(next, resolved));
        }
    }

    /** A pool gone from the config: its backends drain, its checks and discovery stop. */
    static final class PoolRemoved extends Step {
        private final String name;
        private final Registry registry;

        PoolRemoved(String name, Registry registry) {
            this.name = name;
            this.registry = registry;
        }

        @Override
        void commit(List<String> changes) {
            registry.pools.remove(name).retire();
            registry.publish();
            changes.add("pool " + name + ": removed (backends draining)");
        }
    }

    /** A new listener: built and bound (not accepting) in prepare; accepting from commit. */
    static final class ListenerAdded extends Step {
        private final ListenerConfig config;
        private final ProxyParts parts;
        private final Registry registry;
        private final Supplier<BackendPool> pool;
        private ProxyListener listener;
        private List<Channel> bound;

        ListenerAdded(ListenerConfig config, ProxyParts parts, Registry registry, Supplier<BackendPool> pool) {
            this.config = config;
            this.parts = parts;
            this.registry = registry;
            this.pool = pool;
        }

        @Override
        void prepare() throws StartException, InterruptedException {
            listener = parts.newListener(config, pool.get());
            bound = ProxyParts.bindNew(listener, config);
        }

        @Override
        void commit(List<String> changes) {
            List<Channel> chs = bound;
            bound = null;
            ProxyParts.use(listener, chs);
            registry.listeners.put(config.name(), listener);
            registry.publish();
            changes.add("listener " + config.name() + ": added on " + config.bind());
        }

        @Override
        void discard() {
            closeUnused(bound);
            bound = null;
        }
    }

    /** A listener whose address changed: the new one bound in prepare while the old keeps accepting; moved in commit. */
    static final class ListenerRebound extends Step {
        private final ProxyListener listener;
        private final ListenerConfig next;
        private List<Channel> bound;

        ListenerRebound(ProxyListener listener, ListenerConfig next) {
            this.listener = listener;
            this.next = next;
        }

        @Override
        void prepare() throws StartException, InterruptedException {
            bound = ProxyParts.bindNew(listener, next);
        }

        @Override
        void commit(List<String> changes) {
            List<Channel> chs = bound;
            bound = null;
            ProxyParts.use(listener, chs);
            changes.add("listener " + next.name() + ": rebound to " + next.bind());
        }

        @Override
        void discard() {
            closeUnused(bound);
            bound = null;
        }
    }

    /** A listener whose settings or pool changed: live connections keep what they started with. */
    static final class ListenerChanged extends Step {
        private final ProxyListener listener;
        private final ListenerConfig next;
        private final Registry registry;

        ListenerChanged(ProxyListener listener, ListenerConfig next, Registry registry) {
            this.listener = listener;
            this.next = next;
            this.registry = registry;
        }

        @Override
        void commit(List<String> changes) {
            ListenerConfig before = listener.config();
            listener.update(next, registry.pools.get(next.pool()).pool);
            ListenerConfig sameBind = new ListenerConfig(next.name(), before.bind(), next.pool(), next.maxConnections(),
                    next.idleTimeout(), next.writeBufferLow(), next.writeBufferHigh(), next.edge());
            if (!sameBind.equals(before)) { // a new address alone is ListenerRebound's line
                changes.add("listener " + next.name() + ": settings changed"
                        + (before.pool().equals(next.pool()) ? "" : " (pool " + before.pool() + " -> " + next.pool() + ")"));
            }
        }
    }

    /** A listener gone from the config: it stops accepting while its connections go on. */
    static final class ListenerRemoved extends Step {
        private final String name;
        private final Registry registry;

        ListenerRemoved(String name, Registry registry) {
            this.name = name;
            this.registry = registry;
        }

        @Override
        void commit(List<String> changes) {
            try {
                registry.listeners.remove(name).stopAccepting();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            registry.publish();
            changes.add("listener " + name + ": removed (live connections continue)");
        }
    }

    /**
     * The admin endpoint changed: a new token goes to the running endpoint; a new address is bound in prepare while
     * the old endpoint still answers (so one that shares its port fails there), and the old one retires in commit,
     * after answering what it had taken (a reload asked through it included).
     */
    static final class AdminChanged extends Step {
        private final AdminConfig next;
        private final boolean tokenOnly;
        private final ProxyParts parts;
        private final Registry registry;
        private final ProxyControl proxy;
        private AdminServer prepared;
        private boolean used;

        AdminChanged(AdminConfig next, boolean tokenOnly, ProxyParts parts, Registry registry, ProxyControl proxy) {
            this.next = next;
            this.tokenOnly = tokenOnly;
            this.parts = parts;
            this.registry = registry;
            this.proxy = proxy;
        }

        @Override
        void prepare() throws StartException {
            if (!tokenOnly) {
                prepared = parts.startAdmin(next, proxy);
            }
        }

        @Override
        void commit(List<String> changes) {
            if (tokenOnly) {
                registry.admin.token(next.token());
            } else {
                AdminServer old = registry.admin;
                if (old != null) {
                    old.retire();
                    registry.retiredAdmins.add(old);
                }
                registry.admin = prepared;
                used = true;
            }
            changes.add("admin: " + (registry.admin == null ? "off" : "on " + next.bind()));
        }

        @Override
        void discard() {
            if (prepared != null && !used) {
                prepared.close();
            }
        }
    }

    /** The file wins over the operator API's changes since the last reload (see OperatorApi.Overrides). */
    static final class ApiOverridden extends Step {
        private final OperatorApi.Overrides overrides;
        private List<String> overridden = List.of();

        ApiOverridden(OperatorApi.Overrides overrides) {
            this.overrides = overrides;
        }

        @Override
        void commit(List<String> changes) {
            overridden = overrides.afterCommit(changes);
        }

        List<String> overridden() {
            return overridden;
        }
    }

    static final class AccessLogChanged extends Step {
        private final AccessLogConfig next;
        private final AccessLog accessLog;

        AccessLogChanged(AccessLogConfig next, AccessLog accessLog) {
            this.next = next;
            this.accessLog = accessLog;
        }

        @Override
        void commit(List<String> changes) {
            accessLog.update(next);
            changes.add("access-log: " + (next.enabled() ? next.format().name().toLowerCase(Locale.ROOT) : "off"));
        }
    }

    private static void closeUnused(List<Channel> bound) {
        if (bound != null) {
            bound.forEach(c -> c.close().awaitUninterruptibly());
        }
    }
}
