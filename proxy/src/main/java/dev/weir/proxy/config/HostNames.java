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
        config.listeners().values().forEach(l -> {
            if (!resolves(l.bind(), known)) {
                errors.add(cannotResolve("listeners." + l.name() + ".bind", l.bind()));
            }
        });
        for (PoolConfig pool : config.pools().values()) {
            if (pool.discovery() != null) {
                continue;
            }
            for (int i = 0; i < pool.backends().size(); i++) {
                HostPort address = pool.backends().get(i).address();
                if (!resolves(address, known)) {
                    errors.add(cannotResolve("pools." + pool.name() + ".backends[" + i + "].address", address));
                }
            }
        }
        if (config.admin() != null && config.admin().bind() != null && !resolves(config.admin().bind(), known)) {
            errors.add(cannotResolve("admin.bind", config.admin().bind()));
        }
        return errors;
    }

    /** Each host asked once; a plain dotted quad is an address already, which asks nothing of DNS. */
    private static boolean resolves(HostPort address, Map<String, Boolean> known) {
        if (Addresses.isDottedQuad(address.host())) {
            return true;
        }
        return known.computeIfAbsent(address.host(), host -> !address.resolve().isUnresolved());
    }
}
