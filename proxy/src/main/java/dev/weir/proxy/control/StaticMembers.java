package dev.weir.proxy.control;

import dev.weir.proxy.api.StartException;
import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.config.BackendConfig;
import dev.weir.proxy.config.HostNames;
import dev.weir.proxy.config.PoolConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The membership source of a pool without discovery: the config's list of backends. A start resolves them; a
 * reload resolves the new ones first ({@link #toResolve}, in its prepare step) and then makes the pool's members
 * the list ({@link #reconcile}), which cannot fail. Thread rule: the control thread.
 */
final class StaticMembers {

    private StaticMembers() {
    }

    /** The pool's first members, resolved here (a start's and a new pool's host-name resolution). */
    static List<Backend> resolveAll(PoolConfig config) throws StartException {
        List<Backend> backends = new ArrayList<>();
        for (int i = 0; i < config.backends().size(); i++) {
            backends.add(resolve(config.backends().get(i), "pools." + config.name() + ".backends[" + i + "].address"));
        }
        return backends;
    }

    /** A backend of the config, its host resolved now; {@code path} names it in the error. */
    static Backend resolve(BackendConfig bc, String path) throws StartException {
        InetSocketAddress resolved = bc.address().resolve();
        if (resolved.isUnresolved()) {
            throw new StartException(HostNames.cannotResolve(path, bc.address()), null);
        }
        Backend b = new Backend(bc.id(), bc.address().toString(), resolved, bc.weight());
        b.maxConnections(bc.maxConnections());
        return b;
    }

    /** The backends of {@code next} that the pool does not have yet (to resolve before anything changes). */
    static List<BackendConfig> toResolve(BackendPool pool, PoolConfig next) {
        List<BackendConfig> added = new ArrayList<>();
        for (BackendConfig bc : next.backends()) {
            Backend existing = pool.byKey(bc.address().toString());
            if (existing == null || !existing.id().equals(bc.id())) {
                added.add(bc);
            }
        }
        return added;
    }

    /**
     * Makes the pool's members {@code next}'s list: others leave, weights and limits follow the file, new ones join
     * ({@code resolved} by key, from {@link #toResolve}). Returns what changed, in words.
     */
    static List<String> reconcile(BackendPool pool, PoolConfig next, Map<String, Backend> resolved, Members members) {
        List<String> changes = new ArrayList<>();
        Map<String, BackendConfig> wanted = new HashMap<>();
        for (BackendConfig bc : next.backends()) {
            wanted.put(bc.address().toString(), bc);
        }
        for (Backend b : pool.members()) {
            if (b.removed()) {
                continue;
            }
            BackendConfig bc = wanted.get(b.key());
            if (bc == null || !bc.id().equals(b.id())) {
                members.leave(b);
                changes.add("pool " + next.name() + ": backend " + b.id() + " removed (draining)");
            } else {
                if (bc.weight() != b.weight()) {
                    changes.add("pool " + next.name() + ": backend " + b.id() + " weight " + b.weight() + " -> " + bc.weight());
                    pool.setWeight(b, bc.weight());
                }
                if (bc.maxConnections() != b.maxConnections()) {
                    changes.add("pool " + next.name() + ": backend " + b.id() + " max-connections " + b.maxConnections()
                            + " -> " + bc.maxConnections());
                    b.maxConnections(bc.maxConnections());
                }
            }
        }
        for (BackendConfig bc : next.backends()) {
            if (pool.byKey(bc.address().toString()) == null) {
                members.join(resolved.get(bc.address().toString()));
                changes.add("pool " + next.name() + ": backend " + bc.id() + " added");
            }
        }
        return changes;
    }
}
