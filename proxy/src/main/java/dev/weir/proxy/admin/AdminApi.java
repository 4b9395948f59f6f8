package dev.weir.proxy.admin;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weir.proxy.api.BackendStatus;
import dev.weir.proxy.api.ReloadResult;
import dev.weir.proxy.api.ProxyControl;
import dev.weir.proxy.config.BackendConfig;
import dev.weir.proxy.config.HostPort;
import dev.weir.proxy.config.PoolConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufInputStream;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.NetUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The admin operations on the running {@link ProxyControl}: each reads or changes it and says what to
 * answer. Knows nothing of HTTP routing or authorization; {@link AdminHandler} does those first.
 * A {@link NoSuchElementException} thrown here answers 404, an {@link IllegalStateException} 409
 * and an {@link IllegalArgumentException} 400.
 */
final class AdminApi {

    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    private static final Set<String> ADD_FIELDS = Set.of("address", "weight", "name");

    private final ProxyControl proxy;
    private final PrometheusMeterRegistry prometheus;
    private final java.util.function.Supplier<AdminAuth> auth;

    /** @param auth the endpoint's rule as it is now (a reload may give it a new token) */
    AdminApi(ProxyControl proxy, PrometheusMeterRegistry prometheus, java.util.function.Supplier<AdminAuth> auth) {
        this.proxy = proxy;
        this.prometheus = prometheus;
        this.auth = auth;
    }

    Reply ready() {
        if (proxy.isStopping()) {
            return Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "stopping");
        }
        if (!proxy.isReady()) {
            return Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "starting");
        }
        for (String listener : proxy.config().listeners().keySet()) {
            InetSocketAddress bound;
            try {
                bound = proxy.listenerAddress(listener);
            } catch (NoSuchElementException e) {
                continue; // removed by a reload since the config was read
            }
            if (bound == null) {
                return Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "listener " + listener + " not bound");
            }
        }
        return Reply.text(HttpResponseStatus.OK, "ready");
    }

    Reply metrics(FullHttpRequest request) {
        if (prometheus == null) {
            throw new NoSuchElementException("no Prometheus registry: metrics are not exported");
        }
        String accept = request.headers().get(HttpHeaderNames.ACCEPT, "");
        String type = accept.contains("application/openmetrics-text") ? OPENMETRICS_TEXT : PROMETHEUS_TEXT;
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            prometheus.scrape(out, type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Reply(HttpResponseStatus.OK, type, out.toByteArray(), Map.of());
    }

    ObjectNode pools() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        ArrayNode list = o.putArray("pools");
        for (String name : proxy.poolNames()) {
            try {
                list.add(pool(name));
            } catch (NoSuchElementException ignored) {
                // removed by a reload between the two calls
            }
        }
        return o;
    }

    ObjectNode pool(String name) {
        List<BackendStatus> backends = proxy.backends(name); // NoSuchElementException -> 404
        return ApiJson.pool(name, poolConfig(name), backends);
    }

    private PoolConfig poolConfig(String name) {
        return proxy.config().pools().get(name);
    }

    private long drainTimeoutMs(String pool) {
        PoolConfig pc = poolConfig(pool);
        return pc == null ? 0 : pc.drainTimeout().toMillis();
    }

    Reply config(FullHttpRequest request) throws ApiException {
        return ConfigApi.reply(proxy.config(), request);
    }

    /**
     * Listeners with their bound address and live traffic, read from the meter registry
     * ({@code weir.connections.active}, {@code weir.bytes.*}) so the page can show throughput.
     */
    ObjectNode listeners() {
        MeterRegistry registry = proxy.registry();
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        ArrayNode list = o.putArray("listeners");
        proxy.config().listeners().values().forEach(lc -> {
            ObjectNode l = list.addObject();
            l.put("name", lc.name());
            l.put("bind", lc.bind().toString());
            InetSocketAddress bound;
            try {
                bound = proxy.listenerAddress(lc.name());
            } catch (NoSuchElementException e) {
                bound = null;
            }
            l.put("address", bound == null ? null : NetUtil.toSocketAddressString(bound));
            l.put("pool", lc.pool());
            l.put("max_connections", lc.maxConnections());
            Gauge active = registry.find("weir.connections.active").tag("listener", lc.name()).gauge();
            l.put("active_connections", active == null ? 0 : (long) active.value());
            l.put("bytes_received", counter(registry, "weir.bytes.received", lc.name()));
            l.put("bytes_sent", counter(registry, "weir.bytes.sent", lc.name()));
        });
        return o;
    }

    private static long counter(MeterRegistry registry, String name, String listener) {
        Counter c = registry.find(name).tag("listener", listener).counter();
        return c == null ? 0 : (long) c.count();
    }

    ObjectNode session() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("token_required", auth.get().tokenRequired());
        o.put("changes_allowed", auth.get().changesAllowed());
        return o;
    }

    ObjectNode backend(String pool, String id) {
        return ApiJson.backend(status(pool, id), drainTimeoutMs(pool));
    }

    /**
     * The backend of {@code pool} whose id (its name, when it has one) or {@code host:port} is {@code id}, the id first
     * (see BackendPool#find); a live one before one still draining out after removal.
     */
    private BackendStatus status(String pool, String id) {
        List<BackendStatus> all = proxy.backends(pool);
        BackendStatus found = pick(all, id, true);
        found = found != null ? found : pick(all, id, false);
        if (found == null) {
            throw new NoSuchElementException("no backend \"" + id + "\" in pool \"" + pool + "\" (by name or host:port)");
        }
        return found;
    }

    private static BackendStatus pick(List<BackendStatus> all, String id, boolean byId) {
        BackendStatus found = null;
        for (BackendStatus s : all) {
            if ((byId ? s.id() : s.address()).equals(id) && (found == null || found.removed())) {
                found = s;
            }
        }
        return found;
    }

    Reply act(String pool, String id, String action) {
        switch (action) {
            case "drain" -> proxy.drain(pool, id);
            case "disable" -> proxy.disable(pool, id);
            default -> proxy.enable(pool, id);
        }
        return Reply.json(HttpResponseStatus.OK, backend(pool, id));
    }

    Reply addBackend(String pool, FullHttpRequest request) throws ApiException {
        JsonNode body = jsonBody(request);
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!ADD_FIELDS.contains(field)) {
                throw ApiException.badRequest(field + ": unknown field (expected: address, weight, name)");
            }
        }
        JsonNode address = body.get("address");
        if (address == null || address.isNull()) {
            throw ApiException.badRequest("address: required (expected: \"host:port\")");
        }
        if (!address.isTextual()) {
            throw ApiException.badRequest("address: " + address + " (expected: \"host:port\")");
        }
        try {
            HostPort.parse(address.asText());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("address: \"" + address.asText() + "\" (" + e.getMessage() + ")");
        }
        int weight = 1;
        JsonNode w = body.get("weight");
        if (w != null && !w.isNull()) {
            if (!w.isIntegralNumber() || !w.canConvertToInt()) {
                throw ApiException.badRequest("weight: " + w + " (expected: 1..1000)");
            }
            weight = w.intValue();
        }
        String name = null;
        JsonNode nameNode = body.get("name");
        if (nameNode != null && !nameNode.isNull()) {
            if (!nameNode.isTextual() || !BackendConfig.validName(nameNode.asText())) {
                throw ApiException.badRequest("name: " + nameNode + " (expected: " + BackendConfig.NAME_EXPECTED + ")");
            }
            name = nameNode.asText();
        }
        BackendStatus added = proxy.addBackend(pool, address.asText(), weight, name);
        String location = "/api/v1/pools/" + AdminHandler.encode(pool) + "/backends/" + AdminHandler.encode(added.id());
        return Reply.json(HttpResponseStatus.CREATED, ApiJson.backend(added, drainTimeoutMs(pool)))
                .with(HttpHeaderNames.LOCATION.toString(), location);
    }

    /** 202: the backend drains, and leaves the pool when its last connection ends. */
    Reply removeBackend(String pool, String id) {
        BackendStatus before = status(pool, id);
        proxy.removeBackend(pool, id);
        ObjectNode json;
        try {
            json = backend(pool, id);
        } catch (NoSuchElementException gone) {
            // It had no live connection and has already left the pool: its last state, as removed.
            json = ApiJson.backend(before, drainTimeoutMs(pool));
            json.put("removed", true);
            json.put("active_connections", 0);
        }
        return Reply.json(HttpResponseStatus.ACCEPTED, json);
    }

    /** 200 RELOADED or UNCHANGED; 422 FAILED (the running config is kept), so scripts can test the status. */
    Reply reload() {
        ReloadResult result = proxy.reloadFromFile();
        HttpResponseStatus status = result.outcome() == ReloadResult.Outcome.FAILED
                ? HttpResponseStatus.UNPROCESSABLE_ENTITY : HttpResponseStatus.OK;
        return Reply.json(status, ApiJson.reload(result));
    }

    // ---- request parsing ----

    private static JsonNode jsonBody(FullHttpRequest request) throws ApiException {
        if (!request.content().isReadable()) {
            throw ApiException.badRequest("body: required (expected: a JSON object)");
        }
        JsonNode node;
        try (ByteBufInputStream in = new ByteBufInputStream(request.content().duplicate())) {
            node = ApiJson.MAPPER.readTree(in);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            String why = String.valueOf(e.getOriginalMessage());
            int nl = why.indexOf('\n');
            throw ApiException.badRequest("malformed JSON" + where + ": " + (nl < 0 ? why : why.substring(0, nl)));
        } catch (IOException e) {
            throw ApiException.badRequest("body: unreadable (" + e.getMessage() + ")");
        }
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest("body: " + (node == null ? "empty" : node.getNodeType().name().toLowerCase(Locale.ROOT))
                    + " (expected: a JSON object)");
        }
        return node;
    }
}
