package dev.weir.proxy.admin;

import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weir.proxy.BackendStatus;
import dev.weir.proxy.ReloadResult;
import dev.weir.proxy.Weir;
import dev.weir.proxy.config.HostPort;
import dev.weir.proxy.config.PoolConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.NetUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes one admin request to the running {@link Weir} and answers it. Runs on the admin event
 * loop, one request at a time; shared by every admin connection.
 *
 * <p>Reads (GET) need nothing. A state change (POST, DELETE) needs {@code Authorization: Bearer
 * <token>} when a token is configured; with none it is allowed only on a loopback bind, and only
 * for a {@code Host} that is {@code localhost} or an IP literal (a page on another site that
 * rebinds its DNS name to 127.0.0.1 cannot drive it). A browser request from another origin is
 * refused either way.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);

    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    private static final String JSON = "application/json; charset=utf-8";
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final Set<String> ACTIONS = Set.of("drain", "disable", "enable");
    private static final Set<String> ADD_FIELDS = Set.of("address", "weight", "name");
    private static final String PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            + "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final Weir weir;
    private final PrometheusMeterRegistry prometheus;
    private final byte[] tokenHash; // null: no token configured
    private final boolean loopbackBind;
    private final byte[] page;

    AdminHandler(Weir weir, PrometheusMeterRegistry prometheus, String token, boolean loopbackBind, byte[] page) {
        super(true);
        this.weir = weir;
        this.prometheus = prometheus;
        this.tokenHash = token == null || token.isEmpty() ? null : sha256(token);
        this.loopbackBind = loopbackBind;
        this.page = page;
    }

    /** An answer: status, content type, body and extra headers. */
    record Reply(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers) {
        static Reply json(HttpResponseStatus status, JsonNode body) {
            return new Reply(status, JSON, ApiJson.bytes(body), Map.of());
        }

        static Reply text(HttpResponseStatus status, String body) {
            return new Reply(status, TEXT, (body + "\n").getBytes(StandardCharsets.UTF_8), Map.of());
        }

        Reply with(String name, String value) {
            Map<String, String> h = new java.util.LinkedHashMap<>(headers);
            h.put(name, value);
            return new Reply(status, contentType, body, h);
        }
    }

    @FunctionalInterface
    private interface Action {
        Reply run(FullHttpRequest request) throws ApiException;
    }

    /** What a path takes: its methods (as {@code Allow} lists them), the GET action and the change action. */
    private record Route(List<HttpMethod> methods, Action get, Action change) {
        static Route get(Action a) {
            return new Route(List.of(GET), a, null);
        }

        static Route change(HttpMethod method, Action a) {
            return new Route(List.of(method), null, a);
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        Reply reply;
        boolean close = !HttpUtil.isKeepAlive(request);
        if (request.decoderResult().isFailure()) {
            reply = decodeFailure(request.decoderResult().cause());
            close = true;
        } else {
            reply = handle(request);
        }
        if (!GET.equals(request.method())) {
            log.info("admin request method={} path=\"{}\" status={} client={}", request.method(),
                    printable(request.uri()), reply.status().code(), client(ctx));
        }
        send(ctx, reply, close);
    }

    static void send(ChannelHandlerContext ctx, Reply reply, boolean close) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, reply.status(),
                Unpooled.wrappedBuffer(reply.body()));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, reply.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set("X-Content-Type-Options", "nosniff");
        reply.headers().forEach(response.headers()::set);
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            // A reset by the client is an event, not an error.
            log.debug("admin connection failed client={} cause=\"{}\"", client(ctx), cause.toString());
        } else {
            log.warn("admin connection failed client={}", client(ctx), cause);
        }
        ctx.close();
    }

    private static Reply decodeFailure(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return error(new ApiException(HttpResponseStatus.REQUEST_URI_TOO_LONG, "uri_too_long", cause.getMessage()));
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return error(new ApiException(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large",
                    cause.getMessage()));
        }
        if (cause instanceof TooLongFrameException) {
            return error(new ApiException(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                    cause.getMessage()));
        }
        return error(ApiException.badRequest("malformed HTTP request: " + cause.getMessage()));
    }

    Reply handle(FullHttpRequest request) {
        try {
            List<String> path = segments(request.uri());
            Route route = route(path);
            if (route == null) {
                throw ApiException.notFound("no route " + printable(new QueryStringDecoder(request.uri()).rawPath()));
            }
            HttpMethod method = request.method();
            if (!route.methods().contains(method)) {
                String allow = String.join(", ", route.methods().stream().map(HttpMethod::name).toList());
                throw new ApiException(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                        method + " " + printable(new QueryStringDecoder(request.uri()).rawPath())
                                + " (allowed: " + allow + ")", Map.of(HttpHeaderNames.ALLOW.toString(), allow));
            }
            if (GET.equals(method)) {
                return route.get().run(request);
            }
            authorize(request);
            return route.change().run(request);
        } catch (ApiException e) {
            return error(e);
        } catch (NoSuchElementException e) {
            return error(ApiException.notFound(e.getMessage()));
        } catch (IllegalStateException e) {
            return error(new ApiException(HttpResponseStatus.CONFLICT, "conflict", e.getMessage()));
        } catch (IllegalArgumentException e) {
            return error(ApiException.badRequest(e.getMessage()));
        } catch (RuntimeException e) {
            log.warn("admin request failed method={} path=\"{}\"", request.method(), printable(request.uri()), e);
            return error(new ApiException(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error", e.toString()));
        }
    }

    static Reply error(ApiException e) {
        Reply r = Reply.json(e.status, ApiJson.error(e.code, e.getMessage()));
        for (Map.Entry<String, String> h : e.headers.entrySet()) {
            r = r.with(h.getKey(), h.getValue());
        }
        return r;
    }

    // ---- routes ----

    private Route route(List<String> p) {
        int n = p.size();
        if (n == 0) {
            return Route.get(r -> new Reply(HttpResponseStatus.OK, "text/html; charset=utf-8", page,
                    Map.of("Content-Security-Policy", PAGE_CSP, "Referrer-Policy", "no-referrer")));
        }
        if (n == 1) {
            return switch (p.get(0)) {
                case "healthz" -> Route.get(r -> Reply.text(HttpResponseStatus.OK, "ok"));
                case "readyz" -> Route.get(r -> ready());
                case "metrics" -> Route.get(this::metrics);
                default -> null;
            };
        }
        if (n < 3 || !p.get(0).equals("api") || !p.get(1).equals("v1")) {
            return null;
        }
        String what = p.get(2);
        if (n == 3) {
            return switch (what) {
                case "pools" -> Route.get(r -> Reply.json(HttpResponseStatus.OK, pools()));
                case "listeners" -> Route.get(r -> Reply.json(HttpResponseStatus.OK, listeners()));
                case "config" -> Route.get(r -> Reply.json(HttpResponseStatus.OK, ApiJson.config(weir.config())));
                case "session" -> Route.get(r -> Reply.json(HttpResponseStatus.OK, session()));
                case "reload" -> Route.change(POST, r -> reload());
                default -> null;
            };
        }
        if (!what.equals("pools")) {
            return null;
        }
        String pool = p.get(3);
        if (n == 4) {
            return Route.get(r -> Reply.json(HttpResponseStatus.OK, pool(pool)));
        }
        if (!p.get(4).equals("backends")) {
            return null;
        }
        if (n == 5) {
            return Route.change(POST, r -> addBackend(pool, r));
        }
        String id = p.get(5);
        if (n == 6) {
            return new Route(List.of(GET, DELETE), r -> Reply.json(HttpResponseStatus.OK, backend(pool, id)),
                    r -> removeBackend(pool, id));
        }
        if (n == 7 && ACTIONS.contains(p.get(6))) {
            String action = p.get(6);
            return Route.change(POST, r -> act(pool, id, action));
        }
        return null;
    }

    private Reply ready() {
        if (weir.isStopping()) {
            return Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "stopping");
        }
        if (!weir.isReady()) {
            return Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "starting");
        }
        for (String listener : weir.config().listeners().keySet()) {
            InetSocketAddress bound;
            try {
                bound = weir.listenerAddress(listener);
            } catch (NoSuchElementException e) {
                continue; // removed by a reload since the config was read
            }
            if (bound == null) {
                return Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "listener " + listener + " not bound");
            }
        }
        return Reply.text(HttpResponseStatus.OK, "ready");
    }

    private Reply metrics(FullHttpRequest request) {
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

    private ObjectNode pools() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        ArrayNode list = o.putArray("pools");
        for (String name : weir.poolNames()) {
            try {
                list.add(pool(name));
            } catch (NoSuchElementException ignored) {
                // removed by a reload between the two calls
            }
        }
        return o;
    }

    private ObjectNode pool(String name) {
        List<BackendStatus> backends = weir.backends(name); // NoSuchElementException -> 404
        return ApiJson.pool(name, poolConfig(name), backends);
    }

    private PoolConfig poolConfig(String name) {
        return weir.config().pools().get(name);
    }

    private long drainTimeoutMs(String pool) {
        PoolConfig pc = poolConfig(pool);
        return pc == null ? 0 : pc.drainTimeout().toMillis();
    }

    /**
     * Listeners with their bound address and live traffic, read from the meter registry
     * ({@code weir.connections.active}, {@code weir.bytes.*}) so the page can show throughput.
     */
    private ObjectNode listeners() {
        MeterRegistry registry = weir.metrics().registry();
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        ArrayNode list = o.putArray("listeners");
        weir.config().listeners().values().forEach(lc -> {
            ObjectNode l = list.addObject();
            l.put("name", lc.name());
            l.put("bind", lc.bind().toString());
            InetSocketAddress bound;
            try {
                bound = weir.listenerAddress(lc.name());
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

    private ObjectNode session() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("token_required", tokenHash != null);
        o.put("changes_allowed", tokenHash != null || loopbackBind);
        return o;
    }

    private ObjectNode backend(String pool, String id) {
        return ApiJson.backend(status(pool, id), drainTimeoutMs(pool));
    }

    /** The backend {@code id} of {@code pool}; a live one before one still draining out after removal. */
    private BackendStatus status(String pool, String id) {
        BackendStatus found = null;
        for (BackendStatus s : weir.backends(pool)) {
            if (s.id().equals(id) && (found == null || found.removed())) {
                found = s;
            }
        }
        if (found == null) {
            throw new NoSuchElementException("no backend \"" + id + "\" in pool \"" + pool + "\"");
        }
        return found;
    }

    private Reply act(String pool, String id, String action) {
        switch (action) {
            case "drain" -> weir.drain(pool, id);
            case "disable" -> weir.disable(pool, id);
            default -> weir.enable(pool, id);
        }
        return Reply.json(HttpResponseStatus.OK, backend(pool, id));
    }

    private Reply addBackend(String pool, FullHttpRequest request) throws ApiException {
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
            if (!nameNode.isTextual() || nameNode.asText().isBlank()) {
                throw ApiException.badRequest("name: " + nameNode + " (expected: a non-empty string)");
            }
            name = nameNode.asText();
        }
        BackendStatus added = weir.addBackend(pool, address.asText(), weight, name);
        return Reply.json(HttpResponseStatus.CREATED, ApiJson.backend(added, drainTimeoutMs(pool)))
                .with(HttpHeaderNames.LOCATION.toString(), "/api/v1/pools/" + encode(pool) + "/backends/" + encode(added.id()));
    }

    /** 202: the backend drains, and leaves the pool when its last connection ends. */
    private Reply removeBackend(String pool, String id) {
        BackendStatus before = status(pool, id);
        weir.removeBackend(pool, id);
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
    private Reply reload() {
        ReloadResult result = weir.reloadFromFile();
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

    /**
     * The path's segments, each percent-decoded on its own, so an id such as {@code 127.0.0.1:9001}
     * or {@code [::1]:9001} may be sent encoded, and an encoded {@code /} stays inside its segment.
     * A trailing slash is ignored; {@code +} stays a plus (this is a path, not a form).
     */
    static List<String> segments(String uri) throws ApiException {
        String raw = new QueryStringDecoder(uri).rawPath();
        if (!raw.startsWith("/")) {
            throw ApiException.badRequest("path: \"" + printable(raw) + "\" (expected: starting with /)");
        }
        List<String> out = new ArrayList<>();
        String[] parts = raw.substring(1).split("/", -1);
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isEmpty() && i == parts.length - 1) {
                break;
            }
            try {
                out.add(URLDecoder.decode(parts[i].replace("+", "%2B"), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("path: \"" + printable(raw) + "\" (malformed percent-encoding)");
            }
        }
        return out;
    }

    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    // ---- security ----

    private void authorize(FullHttpRequest request) throws ApiException {
        String host = request.headers().get(HttpHeaderNames.HOST);
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && !sameOrigin(origin, host)) {
            throw new ApiException(HttpResponseStatus.FORBIDDEN, "forbidden",
                    "cross-origin request from " + printable(origin) + " (expected: the admin page's own origin)");
        }
        if (tokenHash == null) {
            if (!loopbackBind) {
                throw new ApiException(HttpResponseStatus.FORBIDDEN, "forbidden",
                        "state changes need admin.token when admin.bind is not a loopback address");
            }
            if (host != null && !localHost(host)) {
                throw new ApiException(HttpResponseStatus.FORBIDDEN, "forbidden", "Host: \"" + printable(host)
                        + "\" (expected: localhost or an IP address, or set admin.token)");
            }
            return;
        }
        String auth = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        Map<String, String> challenge = Map.of(HttpHeaderNames.WWW_AUTHENTICATE.toString(), "Bearer realm=\"weir-admin\"");
        if (auth == null || auth.length() < 7 || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ApiException(HttpResponseStatus.UNAUTHORIZED, "unauthorized",
                    "Authorization: " + (auth == null ? "missing" : "not a bearer token") + " (expected: Bearer <admin.token>)",
                    challenge);
        }
        // Digests of equal length, compared in constant time: neither the token nor its length leaks.
        if (!MessageDigest.isEqual(sha256(auth.substring(7).trim()), tokenHash)) {
            throw new ApiException(HttpResponseStatus.UNAUTHORIZED, "unauthorized", "Authorization: wrong token", challenge);
        }
    }

    private static boolean sameOrigin(String origin, String host) {
        if (host == null) {
            return false;
        }
        try {
            String authority = new URI(origin).getRawAuthority();
            return authority != null && authority.equalsIgnoreCase(host);
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** {@code localhost}, {@code *.localhost} or an IP literal, with or without a port. */
    static boolean localHost(String hostHeader) {
        String h = hostHeader.trim();
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            return close > 0 && NetUtil.isValidIpV6Address(h.substring(1, close));
        }
        int colon = h.lastIndexOf(':');
        if (colon >= 0) {
            h = h.substring(0, colon);
        }
        h = h.toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.endsWith(".localhost") || NetUtil.isValidIpV4Address(h);
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    // ---- logging ----

    private static String client(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? NetUtil.toSocketAddressString(a) : "?";
    }

    /** Request text for a log line or an error detail: control characters escaped, length capped. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), 200));
        for (int i = 0; i < s.length() && sb.length() < 200; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return s.length() > 200 ? sb + "..." : sb.toString();
    }
}
