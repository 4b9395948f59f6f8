package dev.weir.proxy.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weir.proxy.api.CertificateStatus;
import dev.weir.proxy.api.ConnectionList;
import dev.weir.proxy.api.ConnectionStatus;
import dev.weir.proxy.api.ProxyControl;
import dev.weir.proxy.metrics.AccessLog;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.NetUtil;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The API's lists of what runs: a listener's live connections ({@code GET /api/v1/listeners/{name}/connections}) and
 * the certificates in use ({@code GET /api/v1/certificates}), with those that expire soon flagged for the status page.
 *
 * <p>Thread rule: called on the control executor, as every {@code /api} call ({@link ApiDispatch}); stateless.
 */
final class InventoryApi {

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    /** A certificate that expires within this is flagged (and shown on the status page). */
    static final Duration EXPIRY_WARNING = Duration.ofDays(30);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final ProxyControl proxy;
    private final Clock clock;

    InventoryApi(ProxyControl proxy, Clock clock) {
        this.proxy = proxy;
        this.clock = clock;
    }

    ObjectNode connections(String listener, FullHttpRequest request) throws ApiException {
        int limit = limit(request);
        ConnectionList list = proxy.connections(listener, limit); // NoSuchElementException -> 404
        ObjectNode o = NODES.objectNode();
        o.put("listener", listener);
        o.put("total", list.total());
        o.put("limit", limit);
        o.put("complete", list.complete());
        ArrayNode out = o.putArray("connections");
        for (ConnectionStatus c : list.connections()) {
            out.add(connection(c));
        }
        return o;
    }

    private static ObjectNode connection(ConnectionStatus c) {
        ObjectNode o = NODES.objectNode();
        o.put("client", NetUtil.toSocketAddressString(c.client()));
        o.put("destination", NetUtil.toSocketAddressString(c.destination()));
        o.put("state", c.state().name());
        o.put("pool", c.pool());
        o.put("backend", c.backend());
        o.put("started_at_ms", c.startedAtMillis());
        o.put("age_ms", c.ageMillis());
        o.put("bytes_from_client", c.bytesFromClient());
        o.put("bytes_from_backend", c.bytesFromBackend());
        AccessLog.Tls tls = c.tls();
        if (tls != null) {
            ObjectNode t = o.putObject("tls");
            t.put("version", tls.version());
            t.put("cipher", tls.cipher());
            t.put("sni", tls.sni());
            t.put("alpn", tls.alpn());
            t.put("client_subject", tls.clientSubject());
        }
        return o;
    }

    /** {@code ?limit=N}: 1..1000, default 100; any other parameter is refused (a typo would silently not apply). */
    private static int limit(FullHttpRequest request) throws ApiException {
        Map<String, List<String>> params = new QueryStringDecoder(request.uri()).parameters();
        for (String name : params.keySet()) {
            if (!name.equals("limit")) {
                throw ApiException.badRequest(AdminHandler.printable(name) + ": unknown parameter (expected: limit)");
            }
        }
        List<String> given = params.get("limit");
        if (given == null) {
            return DEFAULT_LIMIT;
        }
        String expected = " (expected: 1.." + MAX_LIMIT + ")";
        if (given.size() > 1) {
            throw ApiException.badRequest("limit: given " + given.size() + " times" + expected);
        }
        String v = given.get(0);
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("limit: \"" + AdminHandler.printable(v) + "\"" + expected);
        }
        if (n < 1 || n > MAX_LIMIT) {
            throw ApiException.badRequest("limit: " + n + expected);
        }
        return n;
    }

    ObjectNode certificates() {
        long now = clock.millis();
        ObjectNode o = NODES.objectNode();
        o.put("warning_days", EXPIRY_WARNING.toDays());
        ArrayNode out = o.putArray("certificates");
        for (CertificateStatus c : proxy.certificates()) {
            long left = c.notAfter().toEpochMilli() - now;
            ObjectNode j = out.addObject();
            j.put("used_by", c.usedBy());
            j.put("listener", c.listener());
            j.put("pool", c.pool());
            j.put("path", c.path() == null ? null : c.path().toString());
            j.put("subject", c.subject());
            j.put("serial", c.serial());
            j.put("not_after", c.notAfter().toString());
            j.put("not_after_ms", c.notAfter().toEpochMilli());
            j.put("days_left", Math.floorDiv(left, Duration.ofDays(1).toMillis()));
            j.put("expired", left <= 0);
            j.put("expires_soon", left < EXPIRY_WARNING.toMillis());
        }
        return o;
    }
}
