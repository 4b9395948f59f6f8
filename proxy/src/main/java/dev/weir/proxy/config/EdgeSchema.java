package dev.weir.proxy.config;

import static dev.weir.proxy.config.NodeReader.quote;

import io.netty.util.NetUtil;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The listener keys for the edge of a network: {@code proxy-protocol}, {@code sni}, {@code allow}, {@code deny},
 * {@code per-client} and {@code max-connection-duration}, read into an {@link EdgeConfig}. Kept out of
 * {@link ListenerSchema} only for length.
 */
final class EdgeSchema {

    private static final String TRUSTED_EXPECTED =
            "a list of CIDRs of the proxies that send the header, like [10.0.0.0/8]";
    // The PROXY spec asks for a short header timeout of at least 3 seconds; a long one only feeds slowloris.
    private static final Duration MAX_PROXY_TIMEOUT = Duration.ofMinutes(1);

    static final Key<Boolean> ACCEPT = Key.required("accept", Parsers.requiredBool("true, or false for no header"));
    static final Key<List<Cidr>> TRUSTED = Key.required("trusted", Parser.of((in, path, node) -> {
        if (NodeReader.isNull(node)) {
            in.error(path, "missing", TRUSTED_EXPECTED);
            return null;
        }
        return Addresses.cidrs(in, path, node);
    }, Parsers::formatList));
    static final Key<Duration> PROXY_TIMEOUT = Key.of("timeout", Parser.of((in, path, node) -> {
        Duration timeout = Scalars.duration(in, path, node, false);
        if (timeout != null && timeout.compareTo(MAX_PROXY_TIMEOUT) > 0) {
            in.error(path, Units.formatDuration(timeout), "<= " + Units.formatDuration(MAX_PROXY_TIMEOUT));
            return null;
        }
        return timeout;
    }, Units::formatDuration), Duration.ofSeconds(3));
    static final Key<Integer> MAX_TLV_SIZE = Key.of("max-tlv-size", Parsers.size(0, 64 * 1024), 4 * 1024);
    static final Key<Void> PROXY_PROTOCOL = Key.section("proxy-protocol",
            Section.of(ACCEPT, TRUSTED, PROXY_TIMEOUT, MAX_TLV_SIZE));

    static final Key<Map<String, Route>> ROUTES = Key.required("routes", EdgeSchema::routes);
    static final Key<String> ROUTE_POOL = Key.required("pool", Parsers.poolName());
    static final Key<Boolean> PASSTHROUGH = Key.of("passthrough", Parsers.bool(), false);
    private static final Section ROUTE = Section.described(
            "a pool name, or {pool: NAME, passthrough: true} to relay a terminating listener's TLS untouched",
            ROUTE_POOL, PASSTHROUGH);
    static final Key<String> DEFAULT_POOL = Key.optional("default", Parsers.poolName());
    static final Key<Integer> MAX_CLIENT_HELLO = Key.of("max-client-hello", Parsers.size(512, 64 * 1024), 16 * 1024);
    static final Key<Duration> SNI_TIMEOUT = Key.of("timeout", Parsers.duration(false), Duration.ofSeconds(5));
    static final Key<Void> SNI = Key.section("sni", Section.of(ROUTES, DEFAULT_POOL, MAX_CLIENT_HELLO, SNI_TIMEOUT));

    static final Key<List<Cidr>> ALLOW = Key.of("allow", Parsers.cidrs(), List.of());
    static final Key<List<Cidr>> DENY = Key.of("deny", Parsers.cidrs(), List.of());

    static final Key<Integer> PER_CLIENT_CONNECTIONS = Key.of("max-connections", Parsers.integer(0, 1_000_000), 0);
    /** Absent: no limit, which {@link EdgeConfig.PerClient} takes as 0. */
    static final Key<Double> CONNECT_RATE = Key.optional("connect-rate", EdgeSchema::rate);
    static final Key<Void> PER_CLIENT = Key.section("per-client", Section.of(PER_CLIENT_CONNECTIONS, CONNECT_RATE));

    static final Key<Duration> MAX_CONNECTION_DURATION = Key.optional("max-connection-duration",
            Parsers.duration(false));

    /** In a listener's section, after its own keys. */
    static final List<Key<?>> KEYS = List.of(PROXY_PROTOCOL, SNI, ALLOW, DENY, PER_CLIENT, MAX_CONNECTION_DURATION);

    private static final String ROUTES_EXPECTED =
            "a map of server name to pool, like {\"api.example.com\": api, \"*.example.com\": web}";
    private static final String SERVER_NAME_EXPECTED = "a server name like api.example.com or *.example.com";
    private static final String RATE_EXPECTED = "a rate like 50/s or 600/m";
    private static final String LABEL = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
    // Lower-case DNS labels, optionally under a leading "*." wildcard; SNI never carries a trailing dot.
    private static final Pattern SERVER_NAME = Pattern.compile("(?:\\*\\.)?" + LABEL + "(?:\\." + LABEL + ")*");
    private static final Pattern RATE = Pattern.compile("(\\d{1,9}(?:\\.\\d{1,9})?)/([sm])");
    private static final int MAX_SERVER_NAME = 253;

    private final NodeReader in;

    EdgeSchema(NodeReader in) {
        this.in = in;
    }

    /** The edge keys among a listener's fields: {@link EdgeConfig#NONE} when none is set, null (reported) if bad. */
    EdgeConfig read(String path, Map<String, Node> f) {
        int mark = in.mark();
        EdgeConfig.ProxyProtocolAccept proxyProtocol = PROXY_PROTOCOL.isIn(f)
                ? proxyProtocol(PROXY_PROTOCOL.path(path), PROXY_PROTOCOL.node(f)) : null;
        EdgeConfig.Sni sni = SNI.isIn(f) ? sni(SNI.path(path), SNI.node(f)) : null;
        List<Cidr> allow = ALLOW.read(in, path, f);
        List<Cidr> deny = DENY.read(in, path, f);
        EdgeConfig.PerClient perClient = PER_CLIENT.isIn(f) ? perClient(PER_CLIENT.path(path), PER_CLIENT.node(f))
                : null;
        Duration maxDuration = MAX_CONNECTION_DURATION.read(in, path, f);
        if (!in.cleanSince(mark)) {
            return null;
        }
        EdgeConfig edge = new EdgeConfig(proxyProtocol, sni, allow, deny, perClient, maxDuration);
        return edge.equals(EdgeConfig.NONE) ? EdgeConfig.NONE : edge;
    }

    /**
     * {@code accept: false} turns the section off, as if absent, so that it can be switched without deleting it; its
     * other keys are still checked (then {@code trusted} may be left out), so that switching it on reveals no error.
     */
    private EdgeConfig.ProxyProtocolAccept proxyProtocol(String path, Node node) {
        int mark = in.mark();
        Map<String, Node> f = PROXY_PROTOCOL.section().fields(in, path, node);
        if (f == null) {
            return null;
        }
        Boolean accept = ACCEPT.read(in, path, f);
        boolean off = Boolean.FALSE.equals(accept);
        List<Cidr> trusted = List.of();
        if (!off || TRUSTED.isIn(f)) {
            trusted = TRUSTED.read(in, path, f);
            if (trusted != null && trusted.isEmpty() && !off) {
                // Trusting no one would close every connection: surely not what was meant.
                in.error(TRUSTED.path(path), "empty", "at least one CIDR; a header is taken only from these");
            }
        }
        Duration timeout = PROXY_TIMEOUT.read(in, path, f);
        Integer maxTlv = MAX_TLV_SIZE.read(in, path, f);
        if (!in.cleanSince(mark) || off) {
            return null;
        }
        return new EdgeConfig.ProxyProtocolAccept(trusted, timeout, maxTlv);
    }

    private EdgeConfig.Sni sni(String path, Node node) {
        int mark = in.mark();
        Map<String, Node> f = SNI.section().fields(in, path, node);
        if (f == null) {
            return null;
        }
        Map<String, Route> routes = ROUTES.read(in, path, f);
        String defaultPool = DEFAULT_POOL.read(in, path, f);
        Integer maxHello = MAX_CLIENT_HELLO.read(in, path, f);
        Duration timeout = SNI_TIMEOUT.read(in, path, f);
        if (!in.cleanSince(mark)) {
            return null;
        }
        Map<String, String> pools = new LinkedHashMap<>();
        Set<String> passthrough = new HashSet<>();
        routes.forEach((name, route) -> {
            pools.put(name, route.pool());
            if (route.passthrough()) {
                passthrough.add(name);
            }
        });
        return new EdgeConfig.Sni(pools, passthrough, defaultPool, maxHello, timeout);
    }

    /** One server name's route: its pool, and whether a terminating listener passes its TLS through. */
    record Route(String pool, boolean passthrough) {
    }

    /** {@code web}, or {@code {pool: legacy, passthrough: true}}. */
    private static Route route(NodeReader in, String path, Node node) {
        if (!(node instanceof MappingNode)) {
            String pool = Parsers.poolName().read(in, path, node);
            return pool == null ? null : new Route(pool, false);
        }
        int mark = in.mark();
        Map<String, Node> f = ROUTE.fields(in, path, node);
        if (f == null) {
            return null;
        }
        String pool = ROUTE_POOL.read(in, path, f);
        Boolean passthrough = PASSTHROUGH.read(in, path, f);
        return in.cleanSince(mark) ? new Route(pool, passthrough) : null;
    }

    /**
     * Server names match case-insensitively (RFC 6066 names are DNS names), so they are kept lower-cased, and two
     * spellings of one name are an error rather than one silently winning. File order is kept.
     */
    private static Map<String, Route> routes(NodeReader in, String path, Node node) {
        if (NodeReader.isNull(node)) {
            in.error(path, "missing", ROUTES_EXPECTED);
            return null;
        }
        Map<String, Node> entries = in.entries(path, node, ROUTES_EXPECTED, true);
        if (entries == null) {
            return null;
        }
        if (entries.isEmpty()) {
            in.error(path, "empty", "at least one server name");
            return null;
        }
        Map<String, Route> routes = new LinkedHashMap<>();
        Map<String, String> seenAt = new HashMap<>();
        entries.forEach((written, poolNode) -> {
            String entryPath = NodeReader.quotedChild(path, written);
            String name = written.toLowerCase(Locale.ROOT);
            if (!isServerName(name)) {
                in.error(path, quote(written), SERVER_NAME_EXPECTED);
                return;
            }
            String first = seenAt.putIfAbsent(name, entryPath);
            if (first != null) {
                in.error(path, quote(written), "each server name once, in any case; " + first + " has it");
                return;
            }
            Route route = route(in, entryPath, poolNode);
            if (route != null) {
                routes.put(name, route);
            }
        });
        return routes;
    }

    /** An exact name or {@code *.suffix}, lower-cased; never an IP address, which SNI does not carry. */
    static boolean isServerName(String name) {
        String exact = name.startsWith("*.") ? name.substring(2) : name;
        return name.length() <= MAX_SERVER_NAME && SERVER_NAME.matcher(name).matches()
                && !NetUtil.isValidIpV4Address(exact);
    }

    private EdgeConfig.PerClient perClient(String path, Node node) {
        int mark = in.mark();
        Map<String, Node> f = PER_CLIENT.section().fields(in, path, node);
        if (f == null) {
            return null;
        }
        Integer maxConnections = PER_CLIENT_CONNECTIONS.read(in, path, f);
        Double rate = CONNECT_RATE.read(in, path, f, 0.0);
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new EdgeConfig.PerClient(maxConnections, rate);
    }

    /** {@code 50/s}, {@code 600/m}, {@code 0.5/s} as connections per second; 0 is refused (leave the key out). */
    private static Double rate(NodeReader in, String path, Node node) {
        String text = in.text(path, node, RATE_EXPECTED);
        if (text == null) {
            return null;
        }
        Matcher m = RATE.matcher(text);
        if (!m.matches()) {
            in.error(path, quote(text), RATE_EXPECTED);
            return null;
        }
        BigDecimal count = new BigDecimal(m.group(1));
        if (count.signum() == 0) {
            in.error(path, text, "> 0; leave connect-rate out for no limit");
            return null;
        }
        return m.group(2).equals("s") ? count.doubleValue() : count.doubleValue() / 60;
    }
}
