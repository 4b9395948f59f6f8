package dev.weir.proxy.config;

import static dev.weir.proxy.config.NodeReader.index;
import static dev.weir.proxy.config.NodeReader.quote;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;

/**
 * A pool's optional sections besides its health check: {@code discovery}, {@code passive}, {@code warm-pool} and
 * {@code keep-alive}. Each reads as null when absent (off), or when it has errors (reported).
 */
final class PoolPartsSchema {

    private static final String DNS_EXPECTED = "a DNS name like web.internal";
    private static final Pattern DNS_LABEL = Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?");

    static final Key<String> DNS = Key.required("dns", (in, path, node) -> {
        String dns = in.text(path, node, DNS_EXPECTED);
        if (dns != null && !isDnsName(dns)) {
            in.error(path, quote(dns), DNS_EXPECTED);
            return null;
        }
        return dns;
    });
    static final Key<Integer> DNS_PORT = Key.required("port",
            Parsers.requiredInteger(1, 65535, "a port in 1..65535"));
    static final Key<Duration> REFRESH = Key.of("refresh", Parsers.duration(false), Duration.ofSeconds(10));
    /** IP literals: a resolver named by a host name would need a resolver to find it. */
    static final Key<List<HostPort>> RESOLVERS = Key.of("resolvers",
            Parser.of(PoolPartsSchema::resolvers, Parsers::formatList), List.of());
    static final Key<Integer> DISCOVERED_WEIGHT = Key.of("weight", Parsers.integer(1, PoolSchema.MAX_WEIGHT), 1);
    static final Key<Void> DISCOVERY = Key.section("discovery",
            Section.of(DNS, DNS_PORT, REFRESH, RESOLVERS, DISCOVERED_WEIGHT));

    static final Key<Integer> CONSECUTIVE_FAILURES = Key.of("consecutive-failures", Parsers.integer(1, 1000), 3);
    static final Key<Duration> EJECT_FOR = Key.of("eject-for", Parsers.duration(false), Duration.ofSeconds(30));
    /** Left out, it grows to a longer eject-for. */
    static final Key<Duration> MAX_EJECT_FOR = Key.of("max-eject-for", Parsers.duration(false), Duration.ofMinutes(5));
    static final Key<Void> PASSIVE = Key.section("passive",
            Section.of(CONSECUTIVE_FAILURES, EJECT_FOR, MAX_EJECT_FOR));

    static final Key<Integer> MIN_IDLE = Key.of("min-idle", Parsers.integer(1, 1000), 4);
    static final Key<Duration> MAX_IDLE_TIME = Key.of("max-idle-time",
            Parsers.duration(Duration.ofSeconds(1), null, false), Duration.ofSeconds(30));
    static final Key<Void> WARM_POOL = Key.section("warm-pool", Section.of(MIN_IDLE, MAX_IDLE_TIME));

    // The kernel takes TCP_KEEPIDLE and TCP_KEEPINTVL in whole seconds: a fraction is refused, not cut off.
    static final Key<Duration> IDLE = Key.of("idle",
            Parsers.duration(Duration.ofSeconds(1), Duration.ofHours(24), true), Duration.ofSeconds(30));
    static final Key<Duration> INTERVAL = Key.of("interval",
            Parsers.duration(Duration.ofSeconds(1), Duration.ofHours(1), true), Duration.ofSeconds(10));
    static final Key<Integer> COUNT = Key.of("count", Parsers.integer(1, 100), 3);
    static final Key<Void> KEEP_ALIVE = Key.section("keep-alive", Section.of(IDLE, INTERVAL, COUNT));

    private final NodeReader in;

    PoolPartsSchema(NodeReader in) {
        this.in = in;
    }

    DiscoveryConfig discovery(String poolPath, Map<String, Node> pool) {
        int mark = in.mark();
        Map<String, Node> f = open(DISCOVERY, poolPath, pool);
        if (f == null) {
            return null;
        }
        String path = DISCOVERY.path(poolPath);
        String dns = DNS.read(in, path, f);
        Integer port = DNS_PORT.read(in, path, f);
        Duration refresh = REFRESH.read(in, path, f);
        List<HostPort> resolvers = RESOLVERS.read(in, path, f);
        Integer weight = DISCOVERED_WEIGHT.read(in, path, f);
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new DiscoveryConfig(dns, port, refresh, resolvers, weight);
    }

    PassiveConfig passive(String poolPath, Map<String, Node> pool) {
        int mark = in.mark();
        Map<String, Node> f = open(PASSIVE, poolPath, pool);
        if (f == null) {
            return null;
        }
        String path = PASSIVE.path(poolPath);
        Integer failures = CONSECUTIVE_FAILURES.read(in, path, f);
        Duration ejectFor = EJECT_FOR.read(in, path, f);
        // Left out, the cap grows to a long eject-for, as the timeout does to a short interval.
        Duration maxEjectFor = MAX_EJECT_FOR.read(in, path, f,
                ejectFor != null && ejectFor.compareTo(MAX_EJECT_FOR.fallback()) > 0 ? ejectFor
                        : MAX_EJECT_FOR.fallback());
        if (ejectFor != null && maxEjectFor != null && maxEjectFor.compareTo(ejectFor) < 0) {
            in.error(MAX_EJECT_FOR.path(path), Units.formatDuration(maxEjectFor),
                    ">= eject-for " + Units.formatDuration(ejectFor));
        }
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new PassiveConfig(failures, ejectFor, maxEjectFor);
    }

    WarmPoolConfig warmPool(String poolPath, Map<String, Node> pool) {
        int mark = in.mark();
        Map<String, Node> f = open(WARM_POOL, poolPath, pool);
        if (f == null) {
            return null;
        }
        String path = WARM_POOL.path(poolPath);
        Integer minIdle = MIN_IDLE.read(in, path, f);
        Duration maxIdleTime = MAX_IDLE_TIME.read(in, path, f);
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new WarmPoolConfig(minIdle, maxIdleTime);
    }

    KeepAliveConfig keepAlive(String poolPath, Map<String, Node> pool) {
        int mark = in.mark();
        Map<String, Node> f = open(KEEP_ALIVE, poolPath, pool);
        if (f == null) {
            return null;
        }
        String path = KEEP_ALIVE.path(poolPath);
        Duration idle = IDLE.read(in, path, f);
        Duration interval = INTERVAL.read(in, path, f);
        Integer count = COUNT.read(in, path, f);
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new KeepAliveConfig(idle, interval, count);
    }

    /** The section's fields; null when it is absent, or not a map (reported). */
    private Map<String, Node> open(Key<Void> section, String poolPath, Map<String, Node> pool) {
        return section.isIn(pool) ? section.section().fields(in, section.path(poolPath), section.node(pool)) : null;
    }

    private static List<HostPort> resolvers(NodeReader in, String path, Node node) {
        List<Node> items = NodeReader.isNull(node) ? List.of()
                : in.list(path, node, "a list of DNS servers as ip:port");
        if (items == null) {
            return null;
        }
        List<HostPort> resolvers = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            resolvers.add(Addresses.ipAddress(in, index(path, i), items.get(i)));
        }
        return resolvers;
    }

    /** Letters, digits, - and _ in dot-separated labels of up to 63, 253 in all; a trailing dot is allowed. */
    private static boolean isDnsName(String name) {
        String bare = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (bare.isEmpty() || bare.length() > 253) {
            return false;
        }
        for (String label : bare.split("\\.", -1)) {
            if (!DNS_LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }
}
