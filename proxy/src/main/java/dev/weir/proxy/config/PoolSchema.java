package dev.weir.proxy.config;

import static dev.weir.proxy.config.NodeReader.index;
import static dev.weir.proxy.config.NodeReader.quote;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

/** {@code pools.NAME} and its backends: their keys, and how they are read into a {@link PoolConfig}. */
final class PoolSchema {

    static final int MAX_WEIGHT = 1000;

    static final Key<HostPort> ADDRESS = Key.required("address", Parsers.address(1));
    static final Key<Integer> WEIGHT = Key.of("weight", Parsers.integer(1, MAX_WEIGHT), 1);
    static final Key<String> NAME = Key.optional("name", Parsers.name());
    static final Key<Integer> BACKEND_CONNECTIONS = Key.of("max-connections", Parsers.integer(0, 1_000_000), 0);
    private static final String BACKEND_EXPECTED =
            "host:port, or {address: host:port, weight: 1.." + MAX_WEIGHT + ", name: ...}";
    static final Section BACKEND = Section.described(BACKEND_EXPECTED, ADDRESS, WEIGHT, NAME, BACKEND_CONNECTIONS);

    static final Key<BalanceKind> BALANCE = Key.of("balance",
            Parsers.oneOf(BalanceKind.values(), BalanceKind::yamlName), BalanceKind.ROUND_ROBIN);
    static final Key<Duration> CONNECT_TIMEOUT = Key.of("connect-timeout", Parsers.duration(false),
            Duration.ofSeconds(5));
    static final Key<Integer> CONNECT_ATTEMPTS = Key.of("connect-attempts", Parsers.integer(1, Integer.MAX_VALUE), 3);
    static final Key<Void> BACKENDS = Key.list("backends", BACKEND);
    static final Key<Duration> DRAIN_TIMEOUT = Key.of("drain-timeout", Parsers.duration(true), Duration.ofMinutes(5));
    static final Key<Duration> CLOSE_SPREAD = Key.of("close-spread", Parsers.duration(true), Duration.ofSeconds(10));
    static final Key<Boolean> CLOSE_ON_DOWN = Key.of("close-on-down", Parsers.bool(), false);
    static final Key<ProxyProtocolVersion> PROXY_PROTOCOL = Key.optional("proxy-protocol",
            Parsers.oneOf(ProxyProtocolVersion.values(), v -> v.name().toLowerCase(Locale.ROOT)));

    static final Section SECTION = Section.of(BALANCE, CONNECT_TIMEOUT, CONNECT_ATTEMPTS, BACKENDS,
            PoolPartsSchema.DISCOVERY, HealthCheckSchema.HEALTH_CHECK, PoolPartsSchema.PASSIVE, DRAIN_TIMEOUT,
            CLOSE_SPREAD, CLOSE_ON_DOWN, PoolPartsSchema.WARM_POOL, PoolPartsSchema.KEEP_ALIVE, PROXY_PROTOCOL,
            BackendTlsSchema.TLS);

    private final NodeReader in;
    private final HealthCheckSchema healthCheck;
    private final PoolPartsSchema parts;
    private final BackendTlsSchema tls;

    PoolSchema(NodeReader in) {
        this.in = in;
        this.tls = new BackendTlsSchema(in);
        this.healthCheck = new HealthCheckSchema(in);
        this.parts = new PoolPartsSchema(in);
    }

    /** A pool takes its backends from exactly one of {@code backends} (a static list) and {@code discovery} (DNS). */
    PoolConfig read(String path, String name, Node node) {
        int mark = in.mark();
        Map<String, Node> f = SECTION.fields(in, path, node);
        if (f == null) {
            return null;
        }
        BalanceKind balance = BALANCE.read(in, path, f);
        Duration connectTimeout = CONNECT_TIMEOUT.read(in, path, f);
        Integer connectAttempts = CONNECT_ATTEMPTS.read(in, path, f);

        // "backends:" with every item commented out counts as absent; "discovery:" alone is a section to fill in.
        boolean hasBackends = !NodeReader.isNull(BACKENDS.node(f));
        boolean hasDiscovery = PoolPartsSchema.DISCOVERY.isIn(f);
        if (hasBackends && hasDiscovery) {
            in.error(path, "both backends and discovery", "one of them");
        }
        List<BackendConfig> backends = hasBackends || !hasDiscovery
                ? backends(BACKENDS.path(path), BACKENDS.node(f)) : List.of();
        DiscoveryConfig discovery = hasDiscovery ? parts.discovery(path, f) : null;
        ProxyProtocolVersion proxyProtocol = PROXY_PROTOCOL.read(in, path, f);
        HealthCheckConfig check = HealthCheckSchema.HEALTH_CHECK.isIn(f)
                ? healthCheck.read(path, f, PROXY_PROTOCOL.path(path), PROXY_PROTOCOL.isIn(f)) : null;
        PassiveConfig passive = parts.passive(path, f);
        Duration drainTimeout = DRAIN_TIMEOUT.read(in, path, f);
        Duration closeSpread = CLOSE_SPREAD.read(in, path, f);
        Boolean closeOnDown = CLOSE_ON_DOWN.read(in, path, f);
        WarmPoolConfig warmPool = parts.warmPool(path, f);
        KeepAliveConfig keepAlive = parts.keepAlive(path, f);
        BackendTlsConfig backendTls = tls.read(path, f);
        if (backendTls != null && warmPool != null && proxyProtocol != null) {
            // The header names the client and must precede the ClientHello; a warm socket shook hands before any
            // client came.
            in.error(BackendTlsSchema.TLS.path(path), "with warm-pool and proxy-protocol",
                    "at most two of tls, warm-pool and proxy-protocol (a warm socket's handshake is done before its"
                            + " client, whom the PROXY header names, is known)");
        }
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new PoolConfig(name, balance, connectTimeout, connectAttempts, backends, check, passive,
                drainTimeout, closeSpread, closeOnDown, discovery, warmPool, keepAlive, proxyProtocol, backendTls);
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
        Map<HostPort, String> addressSeenAt = new HashMap<>();
        Map<String, String> nameSeenAt = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            backends.add(backend(index(path, i), items.get(i), addressSeenAt, nameSeenAt));
        }
        return backends;
    }

    /** One backend: a bare address, or a map. Addresses and names must each be unique within the pool. */
    private BackendConfig backend(String path, Node node, Map<HostPort, String> addressSeenAt,
            Map<String, String> nameSeenAt) {
        boolean isMap = node instanceof MappingNode;
        Map<String, Node> f = isMap ? BACKEND.fields(in, path, node) : Map.of();
        if (f == null) {
            return null;
        }
        String addressPath = isMap ? ADDRESS.path(path) : path;
        HostPort address = isMap ? ADDRESS.read(in, path, f)
                : NodeReader.isNull(node) ? missingBackend(path) : ADDRESS.parser().read(in, path, node);
        Integer weight = WEIGHT.read(in, path, f);
        Integer maxConnections = BACKEND_CONNECTIONS.read(in, path, f);
        String name = NAME.read(in, path, f);
        boolean nameValid = !NAME.isIn(f) || name != null;
        if (name != null && nameSeenAt.putIfAbsent(name, NAME.path(path)) != null) {
            in.error(NAME.path(path), quote(name), "each name once per pool; " + nameSeenAt.get(name) + " has it");
            nameValid = false;
        }
        if (address != null) {
            // Same host in another case is the same backend; "localhost" vs "127.0.0.1" is left to the operator.
            HostPort identity = new HostPort(address.host().toLowerCase(Locale.ROOT), address.port());
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
}
