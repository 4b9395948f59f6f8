package dev.weir.proxy.config;

import static dev.weir.proxy.config.NodeReader.child;
import static dev.weir.proxy.config.NodeReader.quote;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The config's top-level keys, and the walk that reads a composed YAML tree into a {@link Config}, leaving every
 * problem in the {@link NodeReader}. Each section's keys are declared once, in its schema (listeners in
 * {@link ListenerSchema}, pools in {@link PoolSchema}, ...); config/weir.yaml documents them (ConfigReferenceTest).
 */
final class ConfigSchema {

    static final Key<TransportKind> TRANSPORT = Key.of("transport",
            Parsers.oneOf(TransportKind.values(), TransportKind::yamlName), TransportKind.AUTO);
    /** One for the whole process, like the transport: a restart changes it. */
    static final Key<TlsProviderKind> TLS_PROVIDER = Key.of("tls-provider",
            Parsers.oneOf(TlsProviderKind.values(), TlsProviderKind::yamlName), TlsProviderKind.AUTO);
    /** 0: one per available processor. */
    static final Key<Integer> EVENT_LOOP_THREADS = Key.of("event-loop-threads",
            Parsers.integer(0, Integer.MAX_VALUE), 0);
    /**
     * Off by default: spinning buys a few percent of latency and throughput for much more CPU per operation, and the
     * peers do not spin unless asked (HAProxy's busy-polling); docs/performance.md has the trade.
     */
    static final Key<Duration> EVENT_LOOP_SPIN = Key.of("event-loop-spin",
            Parsers.microseconds(Duration.ofMillis(1)), Duration.ZERO);
    /** 256 KiB reads relayed a bulk stream 1.6x as fast as 64 KiB, on one core (bench/RESULTS.md, 2026-11-26). */
    static final Key<Integer> MAX_READ = Key.of("max-read", Parsers.size(4 * 1024, 16 * 1024 * 1024), 256 * 1024);
    static final Key<Void> LISTENERS = Key.named("listeners", ListenerSchema.SECTION);
    static final Key<Void> POOLS = Key.named("pools", PoolSchema.SECTION);

    /** The whole file. */
    static final Section ROOT = Section.of(TRANSPORT, TLS_PROVIDER, EVENT_LOOP_THREADS, EVENT_LOOP_SPIN, MAX_READ, LISTENERS, POOLS,
            ProcessSchema.SHUTDOWN, ProcessSchema.RELOAD, ProcessSchema.ADMIN, ProcessSchema.ACCESS_LOG);

    private static final int LISTED_POOLS = 10;

    private final NodeReader in;
    private final ListenerSchema listenerSchema;
    private final PoolSchema poolSchema;
    private final ProcessSchema processSchema;

    private ConfigSchema(NodeReader in) {
        this.in = in;
        this.listenerSchema = new ListenerSchema(in);
        this.poolSchema = new PoolSchema(in);
        this.processSchema = new ProcessSchema(in);
    }

    /** The config, or null when {@code in} has collected errors. */
    static Config read(Node root, NodeReader in) {
        return new ConfigSchema(in).root(root);
    }

    private Config root(Node root) {
        Map<String, Node> top = ROOT.fields(in, "", root);
        if (top == null) {
            return null;
        }
        TransportKind transport = TRANSPORT.read(in, "", top);
        Integer threads = EVENT_LOOP_THREADS.read(in, "", top);
        Duration spin = EVENT_LOOP_SPIN.read(in, "", top);
        Integer maxRead = MAX_READ.read(in, "", top);
        TlsProviderKind tlsProvider = TLS_PROVIDER.read(in, "", top);
        Map<String, ListenerConfig> listeners = new LinkedHashMap<>();
        named(LISTENERS, top, "listener").forEach((name, node) ->
                listeners.put(name, listenerSchema.read(child(LISTENERS.name(), name), name, node)));
        Map<String, Node> poolNodes = named(POOLS, top, "pool");
        Map<String, PoolConfig> pools = new LinkedHashMap<>();
        poolNodes.forEach((name, node) -> pools.put(name, poolSchema.read(child(POOLS.name(), name), name, node)));
        ShutdownConfig shutdown = processSchema.shutdown(top);
        ReloadConfig reload = processSchema.reload(top);
        AdminConfig admin = processSchema.admin(top);
        AccessLogConfig accessLog = processSchema.accessLog(top);

        // A listener naming a pool that failed validation is not reported again: its pool exists, only broken.
        if (!poolNodes.isEmpty()) {
            String known = poolList(poolNodes.keySet());
            in.poolReferences().forEach((path, pool) -> {
                if (!poolNodes.containsKey(pool)) {
                    in.errors().add(path + ": " + quote(pool) + " is not a pool (pools: " + known + ")");
                }
            });
        }
        checkPassthrough(listeners, pools);
        BindRules.checkListenersDistinct(in, listeners);
        BindRules.checkAdmin(in, admin, processSchema.adminBindWritten(), listeners);
        if (!in.errors().isEmpty()) {
            return null;
        }
        return new Config(transport, threads, spin, maxRead, tlsProvider, listeners, pools, shutdown, reload, admin, accessLog);
    }

    /** A passthrough route relays the client's own TLS: a pool that speaks TLS to its backends would wrap it again. */
    private void checkPassthrough(Map<String, ListenerConfig> listeners, Map<String, PoolConfig> pools) {
        listeners.forEach((name, listener) -> {
            if (listener == null || listener.edge().sni() == null) {
                return;
            }
            EdgeConfig.Sni sni = listener.edge().sni();
            for (String server : sni.passthrough()) {
                PoolConfig pool = pools.get(sni.routes().get(server));
                if (pool != null && pool.tls() != null) {
                    in.errors().add(NodeReader.quotedChild("listeners." + name + ".sni.routes", server)
                            + ".passthrough: pool " + pool.name() + " has tls (a passthrough route relays the client's"
                            + " TLS as it is; route it to a pool without tls, or terminate it)");
                }
            }
        });
    }

    /**
     * The pool names an error lists: the first {@value #LISTED_POOLS} and how many there are in all, so that a file of
     * thousands of pools and as many bad references does not print every name in each error.
     */
    private static String poolList(java.util.Set<String> names) {
        if (names.size() <= LISTED_POOLS) {
            return String.join(", ", names);
        }
        return String.join(", ", names.stream().limit(LISTED_POOLS).toList()) + ", ... (" + names.size() + " in all)";
    }

    /** A map of name -> section with at least one entry; entries with invalid names are reported and skipped. */
    private Map<String, Node> named(Key<Void> key, Map<String, Node> top, String what) {
        String path = key.name();
        Node node = key.node(top);
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
            boolean bad = !Parsers.isName(name);
            if (bad) {
                in.error(path, quote(name), Parsers.NAME_EXPECTED);
            }
            return bad;
        });
        return entries;
    }
}
