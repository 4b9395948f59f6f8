package dev.weir.proxy.control;

import dev.weir.proxy.api.BackendStatus;
import dev.weir.proxy.api.StartException;
import dev.weir.proxy.backend.AdminState;
import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.connect.WarmConnections;
import dev.weir.proxy.config.BackendConfig;
import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.HostPort;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.health.PoolHealth;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The operator's changes to backends (drain, disable, enable, add, remove), and what they changed since the last
 * reload: on reload the file wins, and the reload reports which of the operator's changes it overrode.
 *
 * <p>Thread rule: the control thread only.
 */
final class OperatorApi {

    private final Registry registry;
    private final Control control;
    /** Backends changed through the API since the last reload ("pool/id"). */
    private final Set<String> touched = new LinkedHashSet<>();

    OperatorApi(Registry registry, Control control) {
        this.registry = registry;
        this.control = control;
    }

    private void onControl() {
        assert control.inThread() : "the operator API runs on the control thread";
    }

    /** Every backend of a pool with its state, counters and health. */
    List<BackendStatus> backends(String pool) {
        onControl();
        PoolSupervisor p = registry.pool(pool);
        PoolHealth health = p.health();
        WarmConnections warm = p.warmConnections();
        List<BackendStatus> out = new ArrayList<>();
        for (Backend b : p.pool.members()) {
            String name = b.id().equals(b.key()) ? null : b.id();
            out.add(new BackendStatus(b.id(), name, b.key(), b.state(), b.admin(), b.removed(), b.weight(),
                    b.activeConnections(), b.totalConnections(), b.connectFailures(), b.bytesToBackend(),
                    b.bytesFromBackend(), b.drainStartedMillis(), health == null ? null : health.status(b),
                    warm == null ? 0 : warm.idle(b)));
        }
        return out;
    }

    void drain(String pool, String id) {
        onControl();
        PoolSupervisor p = registry.pool(pool);
        Backend b = Registry.backend(p, id);
        p.pool.drain(b);
        touched.add(pool + "/" + b.id());
    }

    void disable(String pool, String id) {
        onControl();
        PoolSupervisor p = registry.pool(pool);
        Backend b = Registry.backend(p, id);
        p.pool.disable(b);
        touched.add(pool + "/" + b.id());
    }

    void enable(String pool, String id) {
        onControl();
        PoolSupervisor p = registry.pool(pool);
        Backend b = Registry.backend(p, id);
        p.pool.enable(b);
        touched.add(pool + "/" + b.id());
    }

    /** With active checks the new backend is DOWN until its first check passes. */
    BackendStatus addBackend(String pool, String address, int weight, String name) {
        onControl();
        PoolSupervisor p = registry.pool(pool);
        HostPort hp = HostPort.parse(address);
        if (hp.port() < 1) {
            throw new IllegalArgumentException("address: port " + hp.port() + " (expected: 1..65535)");
        }
        if (weight < 1 || weight > 1000) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: 1..1000)");
        }
        if (p.pool.byKey(hp.toString()) != null) {
            throw new IllegalStateException("backend " + hp + " is already in pool \"" + pool + "\"");
        }
        if (name != null && p.pool.backend(name) != null) {
            throw new IllegalStateException("a backend named \"" + name + "\" is already in pool \"" + pool + "\"");
        }
        Backend b;
        try {
            b = StaticMembers.resolve(new BackendConfig(hp, weight, name), "address");
        } catch (StartException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        p.add(b);
        touched.add(pool + "/" + b.id());
        return backends(pool).stream().filter(s -> s.id().equals(b.id()) && !s.removed()).findFirst().orElseThrow();
    }

    void removeBackend(String pool, String id) {
        onControl();
        PoolSupervisor p = registry.pool(pool);
        Backend b = Registry.backend(p, id);
        if (b.removed()) {
            throw new IllegalStateException("backend \"" + id + "\" is already being removed");
        }
        p.pool.remove(b);
        touched.add(pool + "/" + b.id());
    }

    /** True when the API changed something since the last reload. */
    boolean touchedAny() {
        return !touched.isEmpty();
    }

    /**
     * Before a reload is committed: the API-touched backends that the API left other than {@code running} says,
     * as they are now. Backends a later API call put back (drain then enable, add then remove) are no change.
     */
    Overrides beforeReload(Config running) {
        onControl();
        Map<String, ApiState> made = new LinkedHashMap<>();
        for (String t : touched) {
            ApiState state = apiState(t);
            if (differsFromFile(t, state, running)) {
                made.put(t, state);
            }
        }
        return new Overrides(made);
    }

    /** What the API had made before a reload; {@link #afterCommit} says which of it the reload overrode. */
    final class Overrides {
        private final Map<String, ApiState> made;

        private Overrides(Map<String, ApiState> made) {
            this.made = made;
        }

        /**
         * After the reload's changes: the file wins. API-added backends not in the file were removed by the pool
         * update, API-removed ones in the file came back; drained or disabled ones are made active here (with a
         * line in {@code changes}). Returns the overridden backends ("pool/id") and forgets what the API touched.
         */
        List<String> afterCommit(List<String> changes) {
            List<String> overridden = new ArrayList<>();
            for (Map.Entry<String, ApiState> e : made.entrySet()) {
                ApiState was = e.getValue();
                ApiState now = apiState(e.getKey());
                if (was != null && now != null && now.instance() == was.instance() && was.admin() != AdminState.ACTIVE) {
                    PoolSupervisor p = registry.pools.get(poolOf(e.getKey()));
                    p.pool.enable(was.instance());
                    // Names the state the API had set (read before enable() replaced it).
                    changes.add("pool " + p.pool.name() + ": backend " + was.instance().id() + " active again (its "
                            + (was.admin() == AdminState.DRAINING ? "drain" : "disable") + " through the API was overridden)");
                    overridden.add(e.getKey());
                } else if (!Objects.equals(was, now)) {
                    // Removed or added back by the pool update (its line is in changes already).
                    overridden.add(e.getKey());
                }
            }
            touched.clear();
            return overridden;
        }
    }

    /**
     * What the operator API decides of a backend: which instance is in the pool (add and remove; compared by
     * identity, as {@code Backend} does), its admin state, and the weight and limit it was added with.
     */
    private record ApiState(Backend instance, AdminState admin, int weight, int maxConnections) {
    }

    private static String poolOf(String touched) {
        return touched.substring(0, touched.indexOf('/'));
    }

    private static String idOf(String touched) {
        return touched.substring(touched.indexOf('/') + 1);
    }

    /** The backend {@code pool/id} as it runs now; null when it is not in the pool (or is being removed). */
    private ApiState apiState(String touched) {
        PoolSupervisor p = registry.pools.get(poolOf(touched));
        Backend b = p == null ? null : p.pool.backend(idOf(touched));
        return b == null || b.removed() ? null : new ApiState(b, b.admin(), b.weight(), b.maxConnections());
    }

    /** True when {@code state} is not what {@code running} says of the backend {@code pool/id}. */
    private static boolean differsFromFile(String touched, ApiState state, Config running) {
        if (state != null && state.admin() != AdminState.ACTIVE) {
            return true;
        }
        PoolConfig pc = running.pools().get(poolOf(touched));
        if (pc == null || pc.discovery() != null) {
            // Discovery, not the file, decides who is in such a pool.
            return false;
        }
        BackendConfig bc = pc.backends().stream().filter(c -> c.id().equals(idOf(touched))).findFirst().orElse(null);
        if (state == null || bc == null) {
            return (state == null) != (bc == null);
        }
        return !state.instance().key().equals(bc.address().toString()) || state.weight() != bc.weight()
                || state.maxConnections() != bc.maxConnections();
    }
}
