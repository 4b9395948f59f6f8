package dev.weir.proxy.control;

import dev.weir.proxy.api.StartException;
import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.config.BackendConfig;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.control.ReloadSteps.Step;
import dev.weir.proxy.tls.ClientTls;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The pool changes of a {@link ReloadPlan}: added, reconciled (in both configs), removed. Thread rule: the control
 * thread.
 */
final class PoolSteps {

    private PoolSteps() {
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
        private ClientTls tls;

        PoolReconciled(PoolSupervisor pool, PoolConfig next) {
            this.pool = pool;
            this.next = next;
        }

        @Override
        void prepare() throws StartException {
            tls = pool.loadTls(next); // read again by every reload: a renewal replaces the files in place
            if (next.discovery() == null) {
                for (BackendConfig bc : pool.newStaticBackends(next)) {
                    resolved.put(bc.address().toString(), StaticMembers.resolve(bc, "pools." + next.name() + ".backends"));
                }
            }
        }

        @Override
        void commit(List<String> changes) {
            changes.addAll(pool.update(next, resolved, tls));
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
}
