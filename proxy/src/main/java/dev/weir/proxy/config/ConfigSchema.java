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
import java.util.regex.Matcher;
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
    /** 256 KiB reads relayed a bulk stream 1.6x as fast as 64 KiB, on one core (bench/RESULTS.md, 2026-11-26). */
    static final int DEFAULT_MAX_READ = 256 * 1024;
    static final int MIN_MAX_READ = 4 * 1024;
    static final int MAX_MAX_READ = 16 * 1024 * 1024;
    /**
     * 20us: with it, redis-benchmark through Weir went from 0.99x to 1.03x HAProxy's ops/s, its p99 from 1.01x to 0.99x
     * and its CPU per operation from 0.96x to 1.05x; an idle loop's window closes (bench/RESULTS.md, 2026-11-27).
     */
    static final Duration DEFAULT_EVENT_LOOP_SPIN = Duration.ofNanos(20_000);
    static final Duration MAX_EVENT_LOOP_SPIN = Duration.ofMillis(1);
    static final BalanceKind DEFAULT_BALANCE = BalanceKind.ROUND_ROBIN;
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final int DEFAULT_CONNECT_ATTEMPTS = 3;
    static final int DEFAULT_WEIGHT = 1;
    static final int MAX_WEIGHT = 1000;
    static final int MAX_BACKEND_CONNECTIONS = 1_000_000;
    static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
    static final boolean DEFAULT_RELOAD_WATCH = false;

    static final Duration DEFAULT_POOL_DRAIN_TIMEOUT = Duration.ofMinutes(5);
    static final Duration DEFAULT_CLOSE_SPREAD = Duration.ofSeconds(10);
    static final boolean DEFAULT_CLOSE_ON_DOWN = false;

    static final HealthCheckType DEFAULT_CHECK_TYPE = HealthCheckType.TCP;
    static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofSeconds(2);
    static final Duration DEFAULT_CHECK_TIMEOUT = Duration.ofSeconds(1);
    static final int DEFAULT_RISE = 2;
    static final int DEFAULT_FALL = 3;
    static final int MAX_RISE_FALL = 100;
    static final double DEFAULT_JITTER = 0.10;
    static final int MAX_JITTER_PERCENT = 50;
    static final String DEFAULT_HTTP_PATH = "/";
    static final int DEFAULT_STATUS_MIN = 200;
    static final int DEFAULT_STATUS_MAX = 399;

    static final int DEFAULT_CONSECUTIVE_FAILURES = 3;
    static final int MAX_CONSECUTIVE_FAILURES = 1000;
    static final Duration DEFAULT_EJECT_FOR = Duration.ofSeconds(30);
    static final Duration DEFAULT_MAX_EJECT_FOR = Duration.ofMinutes(5);

    static final Duration DEFAULT_REFRESH = Duration.ofSeconds(10);

    static final int DEFAULT_MIN_IDLE = 4;
    static final int MAX_MIN_IDLE = 1000;
    static final Duration DEFAULT_MAX_IDLE_TIME = Duration.ofSeconds(30);
    static final Duration MIN_MAX_IDLE_TIME = Duration.ofSeconds(1);

    static final Duration DEFAULT_KEEP_ALIVE_IDLE = Duration.ofSeconds(30);
    static final Duration MAX_KEEP_ALIVE_IDLE = Duration.ofHours(24);
    static final Duration DEFAULT_KEEP_ALIVE_INTERVAL = Duration.ofSeconds(10);
    static final Duration MAX_KEEP_ALIVE_INTERVAL = Duration.ofHours(1);
    static final Duration MIN_KEEP_ALIVE = Duration.ofSeconds(1);
    static final int DEFAULT_KEEP_ALIVE_COUNT = 3;
    static final int MAX_KEEP_ALIVE_COUNT = 100;

    static final HostPort DEFAULT_ADMIN_BIND = new HostPort("127.0.0.1", 9090);
    static final String DEFAULT_ADMIN_TOKEN = "";
    static final String ADMIN_OFF = "off";
    static final boolean DEFAULT_ACCESS_LOG_ENABLED = true;
    static final AccessLogConfig.Format DEFAULT_ACCESS_LOG_FORMAT = AccessLogConfig.Format.TEXT;

    private static final List<String> TOP_KEYS = List.of("transport", "event-loop-threads", "event-loop-spin", "max-read",
            "listeners", "pools", "shutdown", "reload", "admin", "access-log");
    private static final List<String> LISTENER_KEYS = List.of("bind", "pool", "max-connections", "idle-timeout",
            "write-buffer", "proxy-protocol", "sni", "allow", "deny", "per-client", "max-connection-duration");
    private static final List<String> WRITE_BUFFER_KEYS = List.of("low", "high");
    private static final List<String> POOL_KEYS = List.of("balance", "connect-timeout", "connect-attempts", "backends",
            "discovery", "health-check", "passive", "drain-timeout", "close-spread", "close-on-down", "warm-pool",
            "keep-alive", "proxy-protocol");
    private static final List<String> BACKEND_KEYS = List.of("address", "weight", "name", "max-connections");
    private static final List<String> SHUTDOWN_KEYS = List.of("drain-timeout");
    private static final List<String> RELOAD_KEYS = List.of("watch");
    private static final List<String> CHECK_KEYS =
            List.of("type", "interval", "timeout", "rise", "fall", "jitter", "send", "expect", "path", "port",
                    "proxy-protocol");
    private static final List<String> PASSIVE_KEYS = List.of("consecutive-failures", "eject-for", "max-eject-for");
    private static final List<String> DISCOVERY_KEYS = List.of("dns", "port", "refresh", "resolvers", "weight");
    private static final List<String> WARM_POOL_KEYS = List.of("min-idle", "max-idle-time");
    private static final List<String> KEEP_ALIVE_KEYS = List.of("idle", "interval", "count");
    private static final List<String> ADMIN_KEYS = List.of("bind", "token");
    private static final List<String> ACCESS_LOG_KEYS = List.of("enabled", "format");

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");
    private static final String NAME_EXPECTED = "a name made of A-Z a-z 0-9 . _ -";
    private static final String BACKEND_EXPECTED =
            "host:port, or {address: host:port, weight: 1.." + MAX_WEIGHT + ", name: ...}";
    private static final String PORT_EXPECTED = "a port in 1..65535";
    private static final String DNS_EXPECTED = "a DNS name like web.internal";
    private static final String ADMIN_BIND_EXPECTED = "host:port, [v6]:port or off";
    private static final String TOKEN_EXPECTED = "a token of printable ASCII without spaces, or \"\" for none";
    private static final String HTTP_PATH_EXPECTED = "a path starting with /, in printable ASCII without spaces";
    private static final String STATUS_EXPECTED = "a status range like 200, 200-299, 2xx or 2xx-3xx";
    // A status or a class of them (2xx); either end of a range may be either form.
    private static final Pattern STATUS_RANGE =
            Pattern.compile("([1-5](?:\\d\\d|xx))(?:-([1-5](?:\\d\\d|xx)))?", Pattern.CASE_INSENSITIVE);
    private static final Pattern DNS_LABEL = Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?");

    private final NodeReader in;
    // listener path -> the pool it names, checked once every pool name is known
    private final Map<String, String> poolReferences = new LinkedHashMap<>();
    private final EdgeSchema edge;
    // false when admin.bind is the default: a clash with a listener then needs saying where the address came from
    private boolean adminBindWritten;

    private ConfigSchema(NodeReader in) {
        this.in = in;
        this.edge = new EdgeSchema(in, poolReferences::put);
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
        Duration spin = in.microseconds("event-loop-spin", top.get("event-loop-spin"), MAX_EVENT_LOOP_SPIN,
                DEFAULT_EVENT_LOOP_SPIN);
        Integer maxRead = in.size("max-read", top.get("max-read"), MIN_MAX_READ, MAX_MAX_READ, DEFAULT_MAX_READ);
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
        Map<String, Node> reload = in.fields("reload", top.get("reload"), "a map with watch", RELOAD_KEYS);
        Boolean watch = reload == null ? null : in.bool("reload.watch", reload.get("watch"), DEFAULT_RELOAD_WATCH);
        AdminConfig admin = admin(top.get("admin"));
        AccessLogConfig accessLog = accessLog(top.get("access-log"));

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
        checkAdminBind(admin, listeners);
        if (!in.errors().isEmpty()) {
            return null;
        }
        return new Config(transport, threads, spin, maxRead, listeners, pools, new ShutdownConfig(drain), new ReloadConfig(watch),
                admin, accessLog);
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
        EdgeConfig edgeConfig = edge.read(path, f);
        if (bind == null || pool == null || maxConnections == null || idleTimeout == null || low == null
                || high == null || edgeConfig == null) {
            return null;
        }
        return new ListenerConfig(name, bind, pool, maxConnections, idleTimeout, low, high, edgeConfig);
    }

    /** A pool takes its backends from exactly one of {@code backends} (a static list) and {@code discovery} (DNS). */
    private PoolConfig pool(String path, String name, Node node) {
        int mark = in.mark();
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

        // "backends:" with every item commented out counts as absent; "discovery:" alone is a section to fill in.
        boolean hasBackends = !NodeReader.isNull(f.get("backends"));
        boolean hasDiscovery = f.containsKey("discovery");
        if (hasBackends && hasDiscovery) {
            in.error(path, "both backends and discovery", "one of them");
        }
        List<BackendConfig> backends = hasBackends || !hasDiscovery
                ? backends(child(path, "backends"), f.get("backends")) : List.of();
        DiscoveryConfig discovery = hasDiscovery ? discovery(child(path, "discovery"), f.get("discovery")) : null;

        ProxyProtocolVersion proxyProtocol = in.oneOf(child(path, "proxy-protocol"), f.get("proxy-protocol"),
                choices(ProxyProtocolVersion.values(), v -> v.name().toLowerCase(Locale.ROOT)), null);
        HealthCheckConfig healthCheck = f.containsKey("health-check")
                ? healthCheck(child(path, "health-check"), f.get("health-check"), child(path, "proxy-protocol"),
                        f.containsKey("proxy-protocol"))
                : null;
        PassiveConfig passive = f.containsKey("passive") ? passive(child(path, "passive"), f.get("passive")) : null;
        Duration drainTimeout = in.duration(child(path, "drain-timeout"), f.get("drain-timeout"), true,
                DEFAULT_POOL_DRAIN_TIMEOUT);
        Duration closeSpread = in.duration(child(path, "close-spread"), f.get("close-spread"), true,
                DEFAULT_CLOSE_SPREAD);
        Boolean closeOnDown = in.bool(child(path, "close-on-down"), f.get("close-on-down"), DEFAULT_CLOSE_ON_DOWN);
        WarmPoolConfig warmPool = f.containsKey("warm-pool")
                ? warmPool(child(path, "warm-pool"), f.get("warm-pool")) : null;
        KeepAliveConfig keepAlive = f.containsKey("keep-alive")
                ? keepAlive(child(path, "keep-alive"), f.get("keep-alive")) : null;
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new PoolConfig(name, balance, connectTimeout, connectAttempts, backends, healthCheck, passive,
                drainTimeout, closeSpread, closeOnDown, discovery, warmPool, keepAlive, proxyProtocol);
    }

    /** The static list; each entry is checked even after a bad one, so that one pass reports them all. */
    private List<BackendConfig> backends(String path, Node node) {
        if (NodeReader.isNull(node)) {
            in.error(path, "missing", "a list of backends, or discovery");
            return List.of();
        }
        List<Node> items = in.list(path, node, "a list of backends, at least one");
        if (items == null) {
            return List.of();
        }
        if (items.isEmpty()) {
            in.error(path, "empty", "at least one backend");
        }
        List<BackendConfig> backends = new ArrayList<>();
        Map<String, String> addressSeenAt = new HashMap<>();
        Map<String, String> nameSeenAt = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            backends.add(backend(index(path, i), items.get(i), addressSeenAt, nameSeenAt));
        }
        return backends;
    }

    /**
     * {@code send}, {@code expect} and {@code path} belong to one type each (expect to two, with different meanings):
     * given for another type they are refused, since the operator clearly meant a check that is not the one configured.
     * A PROXY header before probing needs the pool's version ({@code poolProxyPath}): a backend expecting one would
     * otherwise fail every probe.
     */
    private HealthCheckConfig healthCheck(String path, Node node, String poolProxyPath, boolean poolSendsProxy) {
        int mark = in.mark();
        Map<String, Node> f = in.fields(path, node, "a map of " + String.join(", ", CHECK_KEYS), CHECK_KEYS);
        if (f == null) {
            return null;
        }
        HealthCheckType type = in.oneOf(child(path, "type"), f.get("type"),
                choices(HealthCheckType.values(), HealthCheckType::yamlName), DEFAULT_CHECK_TYPE);
        Duration interval = in.duration(child(path, "interval"), f.get("interval"), false, DEFAULT_CHECK_INTERVAL);
        // Left out, the timeout shrinks to a short interval: only a timeout the operator wrote can be too long.
        Duration timeout = in.duration(child(path, "timeout"), f.get("timeout"), false,
                interval != null && interval.compareTo(DEFAULT_CHECK_TIMEOUT) < 0 ? interval : DEFAULT_CHECK_TIMEOUT);
        if (interval != null && timeout != null && timeout.compareTo(interval) > 0) {
            in.error(child(path, "timeout"), Units.formatDuration(timeout),
                    "<= interval " + Units.formatDuration(interval));
        }
        Integer rise = in.integer(child(path, "rise"), f.get("rise"), 1, MAX_RISE_FALL, DEFAULT_RISE);
        Integer fall = in.integer(child(path, "fall"), f.get("fall"), 1, MAX_RISE_FALL, DEFAULT_FALL);
        Double jitter = in.fraction(child(path, "jitter"), f.get("jitter"), MAX_JITTER_PERCENT, DEFAULT_JITTER);
        Integer port = in.integer(child(path, "port"), f.get("port"), 0, 65535, 0);
        String proxyPath = child(path, "proxy-protocol");
        Boolean proxyProtocol = in.bool(proxyPath, f.get("proxy-protocol"), false);
        if (Boolean.TRUE.equals(proxyProtocol) && !poolSendsProxy) {
            in.error(proxyPath, "true", "only with " + poolProxyPath + " set");
        }

        Bytes send = null;
        Bytes expect = null;
        String httpPath = null;
        int[] status = {0, 0};
        if (type == HealthCheckType.SEND_EXPECT) {
            send = in.bytes(child(path, "send"), f.get("send"), "bytes to send, for type send-expect");
            String expectPath = child(path, "expect");
            expect = in.bytes(expectPath, f.get("expect"), "bytes to find in the reply, for type send-expect");
            if (expect != null && expect.length() == 0) {
                in.error(expectPath, "\"\"", "at least one byte to find in the reply");
            }
            notUsed(path, f, "path", type, "only with type http");
        } else if (type == HealthCheckType.HTTP) {
            httpPath = f.containsKey("path") ? httpPath(child(path, "path"), f.get("path")) : DEFAULT_HTTP_PATH;
            status = f.containsKey("expect") ? statusRange(child(path, "expect"), f.get("expect"))
                    : new int[] {DEFAULT_STATUS_MIN, DEFAULT_STATUS_MAX};
            notUsed(path, f, "send", type, "only with type send-expect");
        } else if (type == HealthCheckType.TCP) {
            notUsed(path, f, "send", type, "only with type send-expect");
            notUsed(path, f, "expect", type, "only with type send-expect or http");
            notUsed(path, f, "path", type, "only with type http");
        }
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new HealthCheckConfig(type, interval, timeout, rise, fall, jitter, send, expect, httpPath,
                status[0], status[1], port, proxyProtocol);
    }

    private void notUsed(String path, Map<String, Node> f, String key, HealthCheckType type, String expected) {
        if (f.containsKey(key)) {
            in.error(child(path, key), "not used by type " + type.yamlName(), expected);
        }
    }

    /** Printable ASCII only: the path goes into the request line as written, where a space or CR LF would split it. */
    private String httpPath(String path, Node node) {
        String text = in.text(path, node, HTTP_PATH_EXPECTED);
        if (text == null) {
            return null;
        }
        boolean printable = text.chars().allMatch(c -> c > 0x20 && c < 0x7f);
        if (!text.startsWith("/") || !printable) {
            in.error(path, quote(text), HTTP_PATH_EXPECTED);
            return null;
        }
        return text;
    }

    /** {@code 200}, {@code 200-299}, {@code 2xx} or {@code 2xx-3xx} as {min, max}; null, reported, otherwise. */
    private int[] statusRange(String path, Node node) {
        String text = in.text(path, node, STATUS_EXPECTED);
        if (text == null) {
            return null;
        }
        Matcher m = STATUS_RANGE.matcher(text);
        if (m.matches()) {
            String high = m.group(2) != null ? m.group(2) : m.group(1);
            int min = statusBound(m.group(1), '0');
            int max = statusBound(high, '9');
            if (min <= max) {
                return new int[] {min, max};
            }
        }
        in.error(path, quote(text), STATUS_EXPECTED);
        return null;
    }

    private static int statusBound(String text, char fill) {
        return Integer.parseInt(text.substring(0, 1) + text.substring(1).replaceAll("[xX]", String.valueOf(fill)));
    }

    private PassiveConfig passive(String path, Node node) {
        int mark = in.mark();
        Map<String, Node> f = in.fields(path, node, "a map of " + String.join(", ", PASSIVE_KEYS), PASSIVE_KEYS);
        if (f == null) {
            return null;
        }
        Integer failures = in.integer(child(path, "consecutive-failures"), f.get("consecutive-failures"), 1,
                MAX_CONSECUTIVE_FAILURES, DEFAULT_CONSECUTIVE_FAILURES);
        Duration ejectFor = in.duration(child(path, "eject-for"), f.get("eject-for"), false, DEFAULT_EJECT_FOR);
        // Left out, the cap grows to a long eject-for, as the timeout does to a short interval.
        Duration maxEjectFor = in.duration(child(path, "max-eject-for"), f.get("max-eject-for"), false,
                ejectFor != null && ejectFor.compareTo(DEFAULT_MAX_EJECT_FOR) > 0 ? ejectFor : DEFAULT_MAX_EJECT_FOR);
        if (ejectFor != null && maxEjectFor != null && maxEjectFor.compareTo(ejectFor) < 0) {
            in.error(child(path, "max-eject-for"), Units.formatDuration(maxEjectFor),
                    ">= eject-for " + Units.formatDuration(ejectFor));
        }
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new PassiveConfig(failures, ejectFor, maxEjectFor);
    }

    /** Resolvers are IP literals: a resolver named by a host name would need a resolver to find it. */
    private DiscoveryConfig discovery(String path, Node node) {
        int mark = in.mark();
        Map<String, Node> f = in.fields(path, node, "a map of " + String.join(", ", DISCOVERY_KEYS), DISCOVERY_KEYS);
        if (f == null) {
            return null;
        }
        String dnsPath = child(path, "dns");
        String dns = in.text(dnsPath, f.get("dns"), DNS_EXPECTED);
        if (dns != null && !isDnsName(dns)) {
            in.error(dnsPath, quote(dns), DNS_EXPECTED);
        }
        Integer port = in.requiredInteger(child(path, "port"), f.get("port"), 1, 65535, PORT_EXPECTED);
        Duration refresh = in.duration(child(path, "refresh"), f.get("refresh"), false, DEFAULT_REFRESH);
        List<HostPort> resolvers = new ArrayList<>();
        String resolversPath = child(path, "resolvers");
        Node resolversNode = f.get("resolvers");
        List<Node> items = NodeReader.isNull(resolversNode) ? List.of()
                : in.list(resolversPath, resolversNode, "a list of DNS servers as ip:port");
        for (int i = 0; items != null && i < items.size(); i++) {
            resolvers.add(in.ipAddress(index(resolversPath, i), items.get(i)));
        }
        Integer weight = in.integer(child(path, "weight"), f.get("weight"), 1, MAX_WEIGHT, DEFAULT_WEIGHT);
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new DiscoveryConfig(dns, port, refresh, resolvers, weight);
    }

    private WarmPoolConfig warmPool(String path, Node node) {
        int mark = in.mark();
        Map<String, Node> f = in.fields(path, node, "a map of " + String.join(", ", WARM_POOL_KEYS), WARM_POOL_KEYS);
        if (f == null) {
            return null;
        }
        Integer minIdle = in.integer(child(path, "min-idle"), f.get("min-idle"), 1, MAX_MIN_IDLE, DEFAULT_MIN_IDLE);
        Duration maxIdleTime = in.duration(child(path, "max-idle-time"), f.get("max-idle-time"), MIN_MAX_IDLE_TIME,
                null, false, DEFAULT_MAX_IDLE_TIME);
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new WarmPoolConfig(minIdle, maxIdleTime);
    }

    /** The kernel takes TCP_KEEPIDLE and TCP_KEEPINTVL in whole seconds: a fraction is refused, not cut off. */
    private KeepAliveConfig keepAlive(String path, Node node) {
        int mark = in.mark();
        Map<String, Node> f = in.fields(path, node, "a map of " + String.join(", ", KEEP_ALIVE_KEYS), KEEP_ALIVE_KEYS);
        if (f == null) {
            return null;
        }
        Duration idle = in.duration(child(path, "idle"), f.get("idle"), MIN_KEEP_ALIVE, MAX_KEEP_ALIVE_IDLE, true,
                DEFAULT_KEEP_ALIVE_IDLE);
        Duration interval = in.duration(child(path, "interval"), f.get("interval"), MIN_KEEP_ALIVE,
                MAX_KEEP_ALIVE_INTERVAL, true, DEFAULT_KEEP_ALIVE_INTERVAL);
        Integer count = in.integer(child(path, "count"), f.get("count"), 1, MAX_KEEP_ALIVE_COUNT,
                DEFAULT_KEEP_ALIVE_COUNT);
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new KeepAliveConfig(idle, interval, count);
    }

    /**
     * Absent, the endpoint is on at 127.0.0.1:9090 without a token. Only loopback may go without one: anyone who can
     * reach the port could otherwise drain backends. The token is read as a secret, so no error shows it.
     */
    private AdminConfig admin(Node node) {
        int mark = in.mark();
        Map<String, Node> f = in.fields("admin", node, "a map of " + String.join(", ", ADMIN_KEYS), ADMIN_KEYS);
        if (f == null) {
            return null;
        }
        HostPort bind = DEFAULT_ADMIN_BIND;
        adminBindWritten = f.containsKey("bind");
        if (adminBindWritten) {
            String text = in.text("admin.bind", f.get("bind"), ADMIN_BIND_EXPECTED);
            bind = text == null || text.equals(ADMIN_OFF) ? null
                    : in.address("admin.bind", text, 0, ADMIN_BIND_EXPECTED);
        }
        String token = f.containsKey("token") ? in.secret("admin.token", f.get("token"), TOKEN_EXPECTED)
                : DEFAULT_ADMIN_TOKEN;
        if (token != null && !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            // It goes into an Authorization header: a space or CR LF there could never match.
            in.error("admin.token", NodeReader.MASK, TOKEN_EXPECTED);
        } else if (token != null && token.isEmpty() && bind != null && !NodeReader.isLoopback(bind.host())) {
            in.error("admin.token", "missing", "a token when admin.bind " + bind + " is not a loopback address");
        }
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new AdminConfig(bind, token);
    }

    private AccessLogConfig accessLog(Node node) {
        int mark = in.mark();
        Map<String, Node> f = in.fields("access-log", node, "a map of " + String.join(", ", ACCESS_LOG_KEYS),
                ACCESS_LOG_KEYS);
        if (f == null) {
            return null;
        }
        Boolean enabled = in.bool("access-log.enabled", f.get("enabled"), DEFAULT_ACCESS_LOG_ENABLED);
        AccessLogConfig.Format format = in.oneOf("access-log.format", f.get("format"),
                choices(AccessLogConfig.Format.values(), v -> v.name().toLowerCase(Locale.ROOT)),
                DEFAULT_ACCESS_LOG_FORMAT);
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new AccessLogConfig(enabled, format);
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
        Integer maxConnections = in.integer(child(path, "max-connections"), f.get("max-connections"), 0,
                MAX_BACKEND_CONNECTIONS, 0);
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
        if (address == null || weight == null || maxConnections == null || !nameValid) {
            return null;
        }
        return new BackendConfig(address, weight, name, maxConnections);
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
                if (clash(other, bind)) {
                    in.error(path, bind.toString(),
                            "an address no other listener binds; " + paths.get(i) + " is " + other);
                    return;
                }
            }
            paths.add(path);
            binds.add(bind);
        });
    }

    /** The admin endpoint cannot share a listener's address either, by the same rule. */
    private void checkAdminBind(AdminConfig admin, Map<String, ListenerConfig> listeners) {
        if (admin == null || admin.bind() == null || admin.bind().port() == 0) {
            return;
        }
        for (Map.Entry<String, ListenerConfig> entry : listeners.entrySet()) {
            ListenerConfig listener = entry.getValue();
            if (listener != null && listener.bind().port() != 0 && clash(listener.bind(), admin.bind())) {
                String hint = adminBindWritten ? ""
                        : "; admin is on by default: write admin.bind: another address or off";
                in.error("admin.bind", admin.bind().toString(), "an address no listener binds; "
                        + child(child("listeners", entry.getKey()), "bind") + " is " + listener.bind() + hint);
                return;
            }
        }
    }

    private static boolean clash(HostPort a, HostPort b) {
        return a.port() == b.port()
                && (a.host().equalsIgnoreCase(b.host()) || isWildcard(a.host()) || isWildcard(b.host()));
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
