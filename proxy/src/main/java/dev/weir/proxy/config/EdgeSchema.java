package dev.weir.proxy.config;

import static dev.weir.proxy.config.NodeReader.child;
import static dev.weir.proxy.config.NodeReader.quote;

import io.netty.util.NetUtil;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The listener keys for the edge of a network: {@code proxy-protocol}, {@code sni}, {@code allow}, {@code deny},
 * {@code per-client} and {@code max-connection-duration}, read into an {@link EdgeConfig}. Kept out of
 * {@link ConfigSchema} only for length; config/weir.yaml documents the same keys and defaults.
 */
final class EdgeSchema {

    static final List<String> KEYS =
            List.of("proxy-protocol", "sni", "allow", "deny", "per-client", "max-connection-duration");

    // The PROXY spec asks for a short header timeout of at least 3 seconds; a long one only feeds slowloris.
    static final Duration DEFAULT_PROXY_TIMEOUT = Duration.ofSeconds(3);
    static final Duration MAX_PROXY_TIMEOUT = Duration.ofMinutes(1);
    static final int DEFAULT_MAX_TLV_BYTES = 4 * 1024;
    static final int MAX_TLV_BYTES = 64 * 1024;
    static final int DEFAULT_MAX_CLIENT_HELLO = 16 * 1024;
    static final int MIN_CLIENT_HELLO = 512;
    static final int MAX_CLIENT_HELLO = 64 * 1024;
    static final Duration DEFAULT_SNI_TIMEOUT = Duration.ofSeconds(5);
    static final int MAX_PER_CLIENT_CONNECTIONS = 1_000_000;

    private static final List<String> PROXY_KEYS = List.of("accept", "trusted", "timeout", "max-tlv-size");
    private static final List<String> SNI_KEYS = List.of("routes", "default", "max-client-hello", "timeout");
    private static final List<String> PER_CLIENT_KEYS = List.of("max-connections", "connect-rate");

    private static final String ROUTES_EXPECTED =
            "a map of server name to pool, like {\"api.example.com\": api, \"*.example.com\": web}";
    private static final String SERVER_NAME_EXPECTED = "a server name like api.example.com or *.example.com";
    private static final String TRUSTED_EXPECTED =
            "a list of CIDRs of the proxies that send the header, like [10.0.0.0/8]";
    private static final String RATE_EXPECTED = "a rate like 50/s or 600/m";
    private static final String LABEL = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
    // Lower-case DNS labels, optionally under a leading "*." wildcard; SNI never carries a trailing dot.
    private static final Pattern SERVER_NAME = Pattern.compile("(?:\\*\\.)?" + LABEL + "(?:\\." + LABEL + ")*");
    private static final Pattern RATE = Pattern.compile("(\\d{1,9}(?:\\.\\d{1,9})?)/([sm])");
    private static final int MAX_SERVER_NAME = 253;

    private final NodeReader in;
    // path -> pool name, checked once every pool is known
    private final BiConsumer<String, String> poolReference;

    EdgeSchema(NodeReader in, BiConsumer<String, String> poolReference) {
        this.in = in;
        this.poolReference = poolReference;
    }

    /** The edge keys among a listener's fields: {@link EdgeConfig#NONE} when none is set, null (reported) if bad. */
    EdgeConfig read(String path, Map<String, Node> f) {
        int mark = in.mark();
        EdgeConfig.ProxyProtocolAccept proxyProtocol = f.containsKey("proxy-protocol")
                ? proxyProtocol(child(path, "proxy-protocol"), f.get("proxy-protocol")) : null;
        EdgeConfig.Sni sni = f.containsKey("sni") ? sni(child(path, "sni"), f.get("sni")) : null;
        List<Cidr> allow = in.cidrs(child(path, "allow"), f.get("allow"));
        List<Cidr> deny = in.cidrs(child(path, "deny"), f.get("deny"));
        EdgeConfig.PerClient perClient = f.containsKey("per-client")
                ? perClient(child(path, "per-client"), f.get("per-client")) : null;
        Duration maxDuration = in.duration(child(path, "max-connection-duration"), f.get("max-connection-duration"),
                false, null);
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
        Map<String, Node> f = in.fields(path, node, "a map of " + String.join(", ", PROXY_KEYS), PROXY_KEYS);
        if (f == null) {
            return null;
        }
        String acceptPath = child(path, "accept");
        Boolean accept = null;
        if (NodeReader.isNull(f.get("accept"))) {
            in.error(acceptPath, "missing", "true, or false for no header");
        } else {
            accept = in.bool(acceptPath, f.get("accept"), false);
        }
        boolean off = Boolean.FALSE.equals(accept);

        String trustedPath = child(path, "trusted");
        List<Cidr> trusted = List.of();
        if (!off || f.containsKey("trusted")) {
            if (NodeReader.isNull(f.get("trusted"))) {
                in.error(trustedPath, "missing", TRUSTED_EXPECTED);
            } else {
                trusted = in.cidrs(trustedPath, f.get("trusted"));
                if (trusted != null && trusted.isEmpty() && !off) {
                    // Trusting no one would close every connection: surely not what was meant.
                    in.error(trustedPath, "empty", "at least one CIDR; a header is taken only from these");
                }
            }
        }
        String timeoutPath = child(path, "timeout");
        Duration timeout = in.duration(timeoutPath, f.get("timeout"), false, DEFAULT_PROXY_TIMEOUT);
        if (timeout != null && timeout.compareTo(MAX_PROXY_TIMEOUT) > 0) {
            in.error(timeoutPath, Units.formatDuration(timeout), "<= " + Units.formatDuration(MAX_PROXY_TIMEOUT));
        }
        Integer maxTlv = in.size(child(path, "max-tlv-size"), f.get("max-tlv-size"), 0, MAX_TLV_BYTES,
                DEFAULT_MAX_TLV_BYTES);
        if (!in.cleanSince(mark) || off) {
            return null;
        }
        return new EdgeConfig.ProxyProtocolAccept(trusted, timeout, maxTlv);
    }

    private EdgeConfig.Sni sni(String path, Node node) {
        int mark = in.mark();
        Map<String, Node> f = in.fields(path, node, "a map of " + String.join(", ", SNI_KEYS), SNI_KEYS);
        if (f == null) {
            return null;
        }
        Map<String, String> routes = routes(child(path, "routes"), f.get("routes"));
        String defaultPool = null;
        if (f.containsKey("default")) {
            String defaultPath = child(path, "default");
            defaultPool = in.text(defaultPath, f.get("default"), "a pool name");
            if (defaultPool != null) {
                poolReference.accept(defaultPath, defaultPool);
            }
        }
        Integer maxHello = in.size(child(path, "max-client-hello"), f.get("max-client-hello"), MIN_CLIENT_HELLO,
                MAX_CLIENT_HELLO, DEFAULT_MAX_CLIENT_HELLO);
        Duration timeout = in.duration(child(path, "timeout"), f.get("timeout"), false, DEFAULT_SNI_TIMEOUT);
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new EdgeConfig.Sni(routes, defaultPool, maxHello, timeout);
    }

    /**
     * Server names match case-insensitively (RFC 6066 names are DNS names), so they are kept lower-cased, and two
     * spellings of one name are an error rather than one silently winning. File order is kept.
     */
    private Map<String, String> routes(String path, Node node) {
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
        Map<String, String> routes = new LinkedHashMap<>();
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
            String pool = in.text(entryPath, poolNode, "a pool name");
            if (pool != null) {
                routes.put(name, pool);
                poolReference.accept(entryPath, pool);
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
        Map<String, Node> f = in.fields(path, node, "a map of " + String.join(", ", PER_CLIENT_KEYS),
                PER_CLIENT_KEYS);
        if (f == null) {
            return null;
        }
        Integer maxConnections = in.integer(child(path, "max-connections"), f.get("max-connections"), 0,
                MAX_PER_CLIENT_CONNECTIONS, 0);
        Double rate = 0.0;
        if (f.containsKey("connect-rate")) {
            rate = rate(child(path, "connect-rate"), f.get("connect-rate"));
        }
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new EdgeConfig.PerClient(maxConnections, rate);
    }

    /** {@code 50/s}, {@code 600/m}, {@code 0.5/s} as connections per second; 0 is refused (leave the key out). */
    private Double rate(String path, Node node) {
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
