package dev.weir.proxy.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;

/** {@code listeners.NAME}: its keys, and how they are read into a {@link ListenerConfig}. */
final class ListenerSchema {

    static final Key<HostPort> BIND = Key.required("bind", Parsers.address(0));
    static final Key<String> POOL = Key.required("pool", Parsers.poolName());
    static final Key<Integer> MAX_CONNECTIONS = Key.of("max-connections",
            Parsers.integer(1, Integer.MAX_VALUE), 10_000);
    static final Key<Duration> IDLE_TIMEOUT = Key.of("idle-timeout", Parsers.duration(false), Duration.ofHours(1));

    static final Key<Integer> LOW = Key.of("low", Parsers.size(), 32 * 1024);
    static final Key<Integer> HIGH = Key.of("high", Parsers.size(), 64 * 1024);
    static final Key<Void> WRITE_BUFFER = Key.section("write-buffer",
            Section.described("a map with low and high", LOW, HIGH));

    static final Section SECTION = Section.of(keys());

    private final NodeReader in;
    private final EdgeSchema edge;
    private final TlsSchema tls;

    ListenerSchema(NodeReader in) {
        this.in = in;
        this.edge = new EdgeSchema(in);
        this.tls = new TlsSchema(in);
    }

    /** The listener, or null when it has errors (reported). */
    ListenerConfig read(String path, String name, Node node) {
        Map<String, Node> f = SECTION.fields(in, path, node);
        if (f == null) {
            return null;
        }
        HostPort bind = BIND.read(in, path, f);
        String pool = POOL.read(in, path, f);
        Integer maxConnections = MAX_CONNECTIONS.read(in, path, f);
        Duration idleTimeout = IDLE_TIMEOUT.read(in, path, f);

        String wbPath = WRITE_BUFFER.path(path);
        Map<String, Node> wb = WRITE_BUFFER.section().fields(in, wbPath, WRITE_BUFFER.node(f));
        Integer low = wb == null ? null : LOW.read(in, wbPath, wb);
        Integer high = wb == null ? null : HIGH.read(in, wbPath, wb);
        if (low != null && high != null && low >= high) {
            // Netty needs low < high, and one side may have come from a default the operator did not see.
            in.error(wbPath, "low " + Units.formatSize(low) + ", high " + Units.formatSize(high), "low < high");
        }
        EdgeConfig edgeConfig = edge.read(path, f);
        TlsConfig tlsConfig = tls.read(path, f);
        if (bind == null || pool == null || maxConnections == null || idleTimeout == null || low == null
                || high == null || edgeConfig == null || (TlsSchema.present(f) && tlsConfig == null)) {
            return null;
        }
        return new ListenerConfig(name, bind, pool, maxConnections, idleTimeout, low, high, edgeConfig, tlsConfig);
    }

    private static List<Key<?>> keys() {
        List<Key<?>> keys = new ArrayList<>(List.of(BIND, POOL, MAX_CONNECTIONS, IDLE_TIMEOUT, WRITE_BUFFER));
        keys.addAll(EdgeSchema.KEYS);
        keys.add(TlsSchema.TLS);
        return keys;
    }
}
