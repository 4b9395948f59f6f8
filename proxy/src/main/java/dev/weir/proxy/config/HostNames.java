package dev.weir.proxy.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The host names a start resolves (listener and admin binds, the static backends), and the one message for a name
 * that does not resolve, which a start fails with and {@code weir validate} prints. A pool with {@code discovery}
 * asks DNS at run time, and an empty answer leaves it without backends for a while, which is no start failure.
 * Resolving may block on DNS: call it off the event loops.
 */
public final class HostNames {

    private HostNames() {
    }

    /** {@code path: cannot resolve "host"}: why a start stops. */
    public static String cannotResolve(String path, HostPort address) {
        return path + ": cannot resolve \"" + address.host() + "\"";
    }

    /**
     * Every host name of {@code config} that a start would resolve and that does not resolve here, in file order, in
     * the start's words; each name is asked once.
     */
    public static List<String> unresolvable(Config config) {
        Map<String, Boolean> known = new HashMap<>();
        List<String> errors = new ArrayList<>();
        config.listeners().values().forEach(l -> check("listeners." + l.name() + ".bind", l.bind(), known, errors));
        for (PoolConfig pool : config.pools().values()) {
            if (pool.discovery() != null) {
                continue;
            }
            for (int i = 0; i < pool.backends().size(); i++) {
                check("pools." + pool.name() + ".backends[" + i + "].address", pool.backends().get(i).address(), known,
                        errors);
            }
        }
        if (config.admin() != null && config.admin().bind() != null) {
            check("admin.bind", config.admin().bind(), known, errors);
        }
        return errors;
    }

    private static void check(String path, HostPort address, Map<String, Boolean> known, List<String> errors) {
        if (!known.computeIfAbsent(address.host(), host -> !address.resolve().isUnresolved())) {
            errors.add(cannotResolve(path, address));
        }
    }
}
