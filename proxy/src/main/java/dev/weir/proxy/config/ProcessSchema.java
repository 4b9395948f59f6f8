package dev.weir.proxy.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;

/** The top-level sections about the process rather than its traffic: shutdown, reload, admin and access-log. */
final class ProcessSchema {

    static final Key<Duration> SHUTDOWN_DRAIN_TIMEOUT = Key.of("drain-timeout", Parsers.duration(true),
            Duration.ofSeconds(30));
    static final Key<Void> SHUTDOWN = Key.section("shutdown",
            Section.described("a map with drain-timeout", SHUTDOWN_DRAIN_TIMEOUT));

    static final Key<Boolean> WATCH = Key.of("watch", Parsers.bool(), false);
    static final Key<Void> RELOAD = Key.section("reload", Section.described("a map with watch", WATCH));

    static final String ADMIN_OFF = "off";
    private static final String ADMIN_BIND_EXPECTED = "host:port, [v6]:port or off";
    private static final String TOKEN_EXPECTED = "a token of printable ASCII without spaces, or \"\" for none";

    /** {@code off} reads as null: no admin endpoint. */
    static final Key<HostPort> ADMIN_BIND = Key.of("bind", Parser.of((in, path, node) -> {
        String text = in.text(path, node, ADMIN_BIND_EXPECTED);
        return text == null || text.equals(ADMIN_OFF) ? null
                : Addresses.address(in, path, text, 0, ADMIN_BIND_EXPECTED);
    }, HostPort::toString), new HostPort("127.0.0.1", 8405));
    /** Read as a secret, so no error shows it. Printable: in an Authorization header a space or CR LF never matches. */
    static final Key<String> TOKEN = Key.of("token", Parser.of((in, path, node) -> {
        String token = in.secret(path, node, TOKEN_EXPECTED);
        if (token != null && !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            in.error(path, NodeReader.MASK, TOKEN_EXPECTED);
            return null;
        }
        return token;
    }, Parsers::formatText), "");
    static final Key<List<String>> ALLOWED_HOSTS = Key.of("allowed-hosts",
            Parser.of(ProcessSchema::hostNames, Parsers::formatList), List.of());
    static final Key<Duration> HEADER_TIMEOUT = Key.of("header-timeout", Parsers.duration(false),
            AdminConfig.DEFAULT_HEADER_TIMEOUT);
    /** At most the endpoint's 64 connections in all: more would never be reached. */
    static final Key<Integer> MAX_CONNECTIONS_PER_CLIENT = Key.of("max-connections-per-client", Parsers.integer(1, 64),
            AdminConfig.DEFAULT_MAX_CONNECTIONS_PER_CLIENT);
    static final Key<Void> ADMIN = Key.section("admin",
            Section.of(ADMIN_BIND, TOKEN, ALLOWED_HOSTS, HEADER_TIMEOUT, MAX_CONNECTIONS_PER_CLIENT));

    static final Key<Boolean> ENABLED = Key.of("enabled", Parsers.bool(), true);
    static final Key<AccessLogConfig.Format> FORMAT = Key.of("format",
            Parsers.oneOf(AccessLogConfig.Format.values(), v -> v.name().toLowerCase(Locale.ROOT)),
            AccessLogConfig.Format.TEXT);
    static final Key<Void> ACCESS_LOG = Key.section("access-log", Section.of(ENABLED, FORMAT));

    private final NodeReader in;
    // false when admin.bind is the default: a clash with a listener then needs saying where the address came from
    private boolean adminBindWritten;

    ProcessSchema(NodeReader in) {
        this.in = in;
    }

    ShutdownConfig shutdown(Map<String, Node> top) {
        Map<String, Node> f = open(SHUTDOWN, top);
        Duration drain = f == null ? null : SHUTDOWN_DRAIN_TIMEOUT.read(in, SHUTDOWN.name(), f);
        return drain == null ? null : new ShutdownConfig(drain);
    }

    ReloadConfig reload(Map<String, Node> top) {
        Map<String, Node> f = open(RELOAD, top);
        Boolean watch = f == null ? null : WATCH.read(in, RELOAD.name(), f);
        return watch == null ? null : new ReloadConfig(watch);
    }

    /**
     * Absent, the endpoint is on at 127.0.0.1:8405 without a token. Only loopback may go without one: anyone who can
     * reach the port could otherwise drain backends.
     */
    AdminConfig admin(Map<String, Node> top) {
        int mark = in.mark();
        Map<String, Node> f = open(ADMIN, top);
        if (f == null) {
            return null;
        }
        adminBindWritten = ADMIN_BIND.isIn(f);
        HostPort bind = ADMIN_BIND.read(in, ADMIN.name(), f);
        String token = TOKEN.read(in, ADMIN.name(), f);
        List<String> allowedHosts = ALLOWED_HOSTS.read(in, ADMIN.name(), f);
        Duration headerTimeout = HEADER_TIMEOUT.read(in, ADMIN.name(), f);
        Integer perClient = MAX_CONNECTIONS_PER_CLIENT.read(in, ADMIN.name(), f);
        if (token != null && token.isEmpty() && bind != null && !Addresses.isLoopback(bind.host())) {
            in.error(TOKEN.path(ADMIN.name()), "missing",
                    "a token when admin.bind " + bind + " is not a loopback address");
        }
        if (!in.cleanSince(mark)) {
            return null;
        }
        // Where the token came from, so that the API can show the reference rather than the token.
        String tokenVariable = TOKEN.node(f) instanceof org.yaml.snakeyaml.nodes.ScalarNode s
                ? EnvSubstitution.soleVariable(s.getValue()) : null;
        return new AdminConfig(bind, token, allowedHosts, headerTimeout, perClient, tokenVariable);
    }

    private static final java.util.regex.Pattern HOST_NAME = java.util.regex.Pattern.compile(
            "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*");
    private static final String HOST_NAMES_EXPECTED = "a list of host names, like [weir-admin.weir.svc]";

    /** DNS names, lower-cased, each once: what a Host header may name (without its port). */
    private static List<String> hostNames(NodeReader in, String path, Node node) {
        if (NodeReader.isNull(node)) {
            return List.of();
        }
        List<Node> items = in.list(path, node, HOST_NAMES_EXPECTED);
        if (items == null) {
            return null;
        }
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String itemPath = NodeReader.index(path, i);
            String text = in.text(itemPath, items.get(i), HOST_NAMES_EXPECTED);
            if (text == null) {
                return null;
            }
            String name = text.toLowerCase(java.util.Locale.ROOT);
            if (name.length() > 253 || !HOST_NAME.matcher(name).matches()) {
                in.error(itemPath, NodeReader.quote(text), "a host name like weir-admin.weir.svc, without a port");
                return null;
            }
            if (!out.contains(name)) {
                out.add(name);
            }
        }
        return out;
    }

    boolean adminBindWritten() {
        return adminBindWritten;
    }

    AccessLogConfig accessLog(Map<String, Node> top) {
        int mark = in.mark();
        Map<String, Node> f = open(ACCESS_LOG, top);
        if (f == null) {
            return null;
        }
        Boolean enabled = ENABLED.read(in, ACCESS_LOG.name(), f);
        AccessLogConfig.Format format = FORMAT.read(in, ACCESS_LOG.name(), f);
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new AccessLogConfig(enabled, format);
    }

    /** Absent or null reads as a section of defaults; null (reported) when it is not a map. */
    private Map<String, Node> open(Key<Void> section, Map<String, Node> top) {
        return section.section().fields(in, section.name(), section.node(top));
    }
}
