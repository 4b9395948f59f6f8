package dev.weir.proxy.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link Config} written back as the tree of config/weir.yaml: the same keys (each taken from its declaration in the
 * schema), nesting and units, so that the tree saved as YAML or JSON loads into an equal config. Every key in effect is
 * written, defaults included, so that an operator sees what runs; an optional section or key that is off (a pool
 * without {@code health-check}, a listener without {@code max-connection-duration}) is left out, as the file leaves it
 * out. Lists and maps are Java lists and insertion-ordered maps, values strings, numbers and booleans: what Jackson
 * and SnakeYAML write as they are.
 *
 * <p>The admin token is never written: a non-empty one becomes a reference to the environment variable it came from,
 * {@code ${VAR}} (or {@code ${WEIR_ADMIN_TOKEN}} when the file gave it literally), which the loader resolves again.
 *
 * <p>Thread rule: stateless; any thread.
 */
public final class ConfigTree {

    /** The variable a token written literally in the file is shown as. */
    static final String DEFAULT_TOKEN_VARIABLE = "WEIR_ADMIN_TOKEN";

    private ConfigTree() {
    }

    /** The whole config as a tree of maps, lists and scalars, in the order of config/weir.yaml. */
    public static Map<String, Object> of(Config config) {
        Map<String, Object> listeners = new LinkedHashMap<>();
        config.listeners().forEach((name, listener) -> listeners.put(name, ListenerTree.of(listener).map()));
        Map<String, Object> pools = new LinkedHashMap<>();
        config.pools().forEach((name, pool) -> pools.put(name, PoolTree.of(pool).map()));
        return new TreeSection()
                .put(ConfigSchema.TRANSPORT, config.transport())
                .put(ConfigSchema.TLS_PROVIDER, config.tlsProvider())
                .number(ConfigSchema.EVENT_LOOP_THREADS, config.eventLoopThreads())
                .put(ConfigSchema.EVENT_LOOP_SPIN, config.eventLoopSpin())
                .put(ConfigSchema.MAX_READ, config.maxRead())
                .raw(ConfigSchema.LISTENERS, listeners)
                .raw(ConfigSchema.POOLS, pools)
                .raw(ProcessSchema.SHUTDOWN, new TreeSection()
                        .put(ProcessSchema.SHUTDOWN_DRAIN_TIMEOUT, config.shutdown().drainTimeout()))
                .raw(ProcessSchema.RELOAD, new TreeSection().flag(ProcessSchema.WATCH, config.reload().watch()))
                .raw(ProcessSchema.ADMIN, admin(config.admin()))
                .raw(ProcessSchema.ACCESS_LOG, new TreeSection()
                        .flag(ProcessSchema.ENABLED, config.accessLog().enabled())
                        .put(ProcessSchema.FORMAT, config.accessLog().format()))
                .map();
    }

    private static TreeSection admin(AdminConfig admin) {
        return new TreeSection()
                .raw(ProcessSchema.ADMIN_BIND, admin.bind() == null ? ProcessSchema.ADMIN_OFF : admin.bind().toString())
                .raw(ProcessSchema.TOKEN, maskedToken(admin))
                .list(ProcessSchema.ALLOWED_HOSTS, admin.allowedHosts(), host -> host)
                .put(ProcessSchema.HEADER_TIMEOUT, admin.headerTimeout())
                .number(ProcessSchema.MAX_CONNECTIONS_PER_CLIENT, admin.maxConnectionsPerClient());
    }

    /** {@code ""} for none; else the reference the loader resolves, so that the token itself is never shown. */
    static String maskedToken(AdminConfig admin) {
        if (admin.token().isEmpty()) {
            return "";
        }
        String variable = admin.tokenVariable() != null ? admin.tokenVariable() : DEFAULT_TOKEN_VARIABLE;
        return "${" + variable + "}";
    }
}
