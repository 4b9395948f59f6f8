package dev.weir.proxy.config;

import static dev.weir.proxy.config.NodeReader.child;
import static dev.weir.proxy.config.NodeReader.index;
import static dev.weir.proxy.config.NodeReader.quote;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The config's keys, defaults and rules (config/weir.yaml documents the same, keep them together). Reads a composed
 * YAML tree into a {@link Config}, leaving every problem in the {@link NodeReader}.
 */
final class ConfigSchema {

    static final TransportKind DEFAULT_TRANSPORT = TransportKind.AUTO;
    static final int DEFAULT_EVENT_LOOP_THREADS = 0;
    static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(1);
    static final int DEFAULT_WRITE_BUFFER_LOW = 32 * 1024;
    static final int DEFAULT_WRITE_BUFFER_HIGH = 64 * 1024;
    static final BalanceKind DEFAULT_BALANCE = BalanceKind.ROUND_ROBIN;
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final int DEFAULT_CONNECT_ATTEMPTS = 3;
    static final int DEFAULT_WEIGHT = 1;
    static final int MAX_WEIGHT = 1000;
    static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

    private static final List<String> TOP_KEYS =
            List.of("transport", "event-loop-threads", "listeners", "pools", "shutdown");
    private static final List<String> LISTENER_KEYS =
            List.of("bind", "pool", "max-connections", "idle-timeout", "write-buffer");
    private static final List<String> WRITE_BUFFER_KEYS = List.of("low", "high");
    private static final List<String> POOL_KEYS = List.of("balance", "connect-timeout", "connect-attempts", "backends");
    private static final List<String> BACKEND_KEYS = List.of("address", "weight", "name");
    private static final List<String> SHUTDOWN_KEYS = List.of("drain-timeout");

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");
    private static final String NAME_EXPECTED = "a name made of A-Z a-z 0-9 . _ -";
    private static final String BACKEND_EXPECTED =
            "host:port, or {address: host:port, weight: 1.." + MAX_WEIGHT + ", name: ...}";

    private final NodeReader in;
    // listener path -> the pool it names, checked once every pool name is known
    private final Map<String, String> poolReferences = new LinkedHashMap<>();

    private ConfigSchema(NodeReader in) {
        this.in = in;
    }

    /** The config, or null when {@code in} has collected errors. */
    static Config read(Node root, NodeReader in) {
        return new ConfigSchema(in).root(root);
    }

    private Config root(Node root) {
        Map<String, Node> top = in.fields("", root, "a map of " + String.join(", ", TOP_KEYS), TOP_KEYS);
        if (top == null) {
            return null;
        }
        TransportKind transport = in.oneOf("transport", top.get("transport"), choices(TransportKind.values(),
                TransportKind::yamlName), DEFAULT_TRANSPORT);
        Integer threads = in.integer("event-loop-threads", top.get("event-loop-threads"), 0, Integer.MAX_VALUE,
                DEFAULT_EVENT_LOOP_THREADS);
        Map<String, ListenerConfig> listeners = new LinkedHashMap<>();
        named("listeners", top.get("listeners"), "listener").forEach((name, node) ->
                listeners.put(name, listener(child("listeners", name), name, node)));
        Map<String, Node> poolNodes = named("pools", top.get("pools"), "pool");
        Map<String, PoolConfig> pools = new LinkedHashMap<>();
        poolNodes.forEach((name, node) -> pools.put(name, pool(child("pools", name), name, node)));
        Map<String, Node> shutdown = in.fields("shutdown", top.get("shutdown"), "a map with drain-timeout",
                SHUTDOWN_KEYS);
        Duration drain = shutdown == null ? null
                : in.duration("shutdown.drain-timeout", shutdown.get("drain-timeout"), true, DEFAULT_DRAIN_TIMEOUT);

        // A listener naming a pool that failed validation is not reported again: its pool exists, only broken.
        if (!poolNodes.isEmpty()) {
            poolReferences.forEach((path, pool) -> {
                if (!poolNodes.containsKey(pool)) {
                    in.errors().add(path + ": " + quote(pool) + " is not a pool (pools: "
                            + String.join(", ", poolNodes.keySet()) + ")");
                }
            });
        }
        checkBindsDistinct(listeners);
        if (!in.errors().isEmpty()) {
            return null;
        }
        return new Config(transport, threads, listeners, pools, new ShutdownConfig(drain), new ReloadConfig(false));
    }

    /** A map of name -> section with at least one entry; entries with invalid names are reported and skipped. */
    private Map<String, Node> named(String path, Node node, String what) {
        String expected = "a map of " + what + " name to " + what;
        if (node == null) {
            in.error(path, "missing", expected + ", at least one");
            return Map.of();
        }
        Map<String, Node> entries = in.entries(path, node, expected);
        if (entries == null) {
            return Map.of();
        }
        if (entries.isEmpty()) {
            in.error(path, "empty", "at least one " + what);
        }
        entries.keySet().removeIf(name -> {
            boolean bad = !NAME.matcher(name).matches();
            if (bad) {
                in.error(path, quote(name), NAME_EXPECTED);
            }
            return bad;
        });
        return entries;
    }

    private ListenerConfig listener(String path, String name, Node node) {
        Map<String, Node> f = in.fields(path, node, "a map of " + String.join(", ", LISTENER_KEYS), LISTENER_KEYS);
        if (f == null) {
            return null;
        }
        HostPort bind = in.address(child(path, "bind"), f.get("bind"), 0);
        String pool = in.text(child(path, "pool"), f.get("pool"), "a pool name");
        if (pool != null) {
            poolReferences.put(child(path, "pool"), pool);
        }
        Integer maxConnections = in.integer(child(path, "max-connections"), f.get("max-connections"), 1,
                Integer.MAX_VALUE, DEFAULT_MAX_CONNECTIONS);
        Duration idleTimeout = in.duration(child(path, "idle-timeout"), f.get("idle-timeout"), false,
                DEFAULT_IDLE_TIMEOUT);

        String wbPath = child(path, "write-buffer");
        Map<String, Node> wb = in.fields(wbPath, f.get("write-buffer"), "a map with low and high", WRITE_BUFFER_KEYS);
        Integer low = wb == null ? null : in.size(child(wbPath, "low"), wb.get("low"), DEFAULT_WRITE_BUFFER_LOW);
        Integer high = wb == null ? null : in.size(child(wbPath, "high"), wb.get("high"), DEFAULT_WRITE_BUFFER_HIGH);
        if (low != null && high != null && low >= high) {
            // Netty needs low < high, and one side may have come from a default the operator did not see.
            in.error(wbPath, "low " + Units.formatSize(low) + ", high " + Units.formatSize(high), "low < high");
        }
        if (bind == null || pool == null || maxConnections == null || idleTimeout == null || low == null
                || high == null) {
            return null;
        }
        return new ListenerConfig(name, bind, pool, maxConnections, idleTimeout, low, high);
    }

    private PoolConfig pool(String path, String name, Node node) {
        Map<String, Node> f = in.fields(path, node, "a map of " + String.join(", ", POOL_KEYS), POOL_KEYS);
        if (f == null) {
            return null;
        }
        BalanceKind balance = in.oneOf(child(path, "balance"), f.get("balance"),
                choices(BalanceKind.values(), BalanceKind::yamlName), DEFAULT_BALANCE);
        Duration connectTimeout = in.duration(child(path, "connect-timeout"), f.get("connect-timeout"), false,
                DEFAULT_CONNECT_TIMEOUT);
        Integer connectAttempts = in.integer(child(path, "connect-attempts"), f.get("connect-attempts"), 1,
                Integer.MAX_VALUE, DEFAULT_CONNECT_ATTEMPTS);

        String listPath = child(path, "backends");
        List<Node> items = in.list(listPath, f.get("backends"), "a list of backends, at least one");
        if (items != null && items.isEmpty()) {
            in.error(listPath, "empty", "at least one backend");
        }
        List<BackendConfig> backends = new ArrayList<>();
        boolean allValid = items != null;
        Map<String, String> addressSeenAt = new HashMap<>();
        Map<String, String> nameSeenAt = new HashMap<>();
        for (int i = 0; items != null && i < items.size(); i++) {
            BackendConfig backend = backend(index(listPath, i), items.get(i), addressSeenAt, nameSeenAt);
            allValid &= backend != null;
            backends.add(backend);
        }
        if (!allValid || balance == null || connectTimeout == null || connectAttempts == null) {
            return null;
        }
        return new PoolConfig(name, balance, connectTimeout, connectAttempts, backends,
                null, null, Duration.ofMinutes(5), Duration.ofSeconds(10), false, null);
    }

    /** One backend: a bare address, or a map. Addresses and names must each be unique within the pool. */
    private BackendConfig backend(String path, Node node, Map<String, String> addressSeenAt,
            Map<String, String> nameSeenAt) {
        boolean isMap = node instanceof MappingNode;
        Map<String, Node> f = isMap ? in.fields(path, node, BACKEND_EXPECTED, BACKEND_KEYS) : Map.of();
        if (f == null) {
            return null;
        }
        String addressPath = isMap ? child(path, "address") : path;
        HostPort address = isMap
                ? in.address(addressPath, f.get("address"), 1)
                : NodeReader.isNull(node) ? missingBackend(path) : in.address(path, node, 1);
        Integer weight = in.integer(child(path, "weight"), f.get("weight"), 1, MAX_WEIGHT, DEFAULT_WEIGHT);
        String name = null;
        boolean nameValid = true;
        if (f.containsKey("name")) {
            String namePath = child(path, "name");
            name = in.text(namePath, f.get("name"), NAME_EXPECTED);
            nameValid = name != null && NAME.matcher(name).matches();
            if (name != null && !nameValid) {
                in.error(namePath, quote(name), NAME_EXPECTED);
            } else if (name != null && nameSeenAt.putIfAbsent(name, namePath) != null) {
                in.error(namePath, quote(name), "each name once per pool; " + nameSeenAt.get(name) + " has it");
                nameValid = false;
            }
        }
        if (address != null) {
            // Same host in another case is the same backend; "localhost" vs "127.0.0.1" is left to the operator.
            String identity = address.host().toLowerCase(Locale.ROOT) + ":" + address.port();
            String seenAt = addressSeenAt.putIfAbsent(identity, addressPath);
            if (seenAt != null) {
                in.error(addressPath, address.toString(), "each address once per pool; " + seenAt + " has it");
                return null;
            }
        }
        if (address == null || weight == null || !nameValid) {
            return null;
        }
        return new BackendConfig(address, weight, name);
    }

    private HostPort missingBackend(String path) {
        in.error(path, "missing", BACKEND_EXPECTED);
        return null;
    }

    /**
     * Two listeners cannot bind the same port on the same host, nor on any host when one of them is a wildcard
     * (the kernel refuses the second bind). Port 0 never clashes: each bind gets its own free port.
     */
    private void checkBindsDistinct(Map<String, ListenerConfig> listeners) {
        List<String> paths = new ArrayList<>();
        List<HostPort> binds = new ArrayList<>();
        listeners.forEach((name, listener) -> {
            if (listener == null || listener.bind().port() == 0) {
                return;
            }
            HostPort bind = listener.bind();
            String path = child(child("listeners", name), "bind");
            for (int i = 0; i < binds.size(); i++) {
                HostPort other = binds.get(i);
                if (other.port() == bind.port() && (other.host().equalsIgnoreCase(bind.host())
                        || isWildcard(other.host()) || isWildcard(bind.host()))) {
                    in.error(path, bind.toString(),
                            "an address no other listener binds; " + paths.get(i) + " is " + other);
                    return;
                }
            }
            paths.add(path);
            binds.add(bind);
        });
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
    }

    private static <E> Map<String, E> choices(E[] values, java.util.function.Function<E, String> spelling) {
        Map<String, E> choices = new LinkedHashMap<>();
        for (E value : values) {
            choices.put(spelling.apply(value), value);
        }
        return choices;
    }
}
