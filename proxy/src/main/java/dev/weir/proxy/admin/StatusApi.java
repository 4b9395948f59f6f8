package dev.weir.proxy.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weir.proxy.api.ProxyEvent;
import dev.weir.proxy.api.ProxyInfo;
import dev.weir.proxy.api.StatusFeed;
import dev.weir.proxy.api.TrafficHistory;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The status page's own answers: {@code /api/v1/info} (the header), {@code /api/v1/history} (the charts) and
 * {@code /api/v1/events} (the recent events), read from the proxy's {@link StatusFeed}.
 *
 * <p>Thread rule: called on the control executor, as every {@code /api} call is; holds no state of its own.
 */
final class StatusApi {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final StatusFeed feed;
    private final LongSupplier millis;

    StatusApi(StatusFeed feed, LongSupplier millis) {
        this.feed = feed;
        this.millis = millis;
    }

    ObjectNode info() {
        ProxyInfo info = feed.info();
        ObjectNode o = NODES.objectNode();
        o.put("version", info.version());
        o.put("started_at_ms", info.startedAtMillis());
        o.put("uptime_ms", Math.max(0, millis.getAsLong() - info.startedAtMillis()));
        o.put("transport", info.transport());
        ProxyInfo.LastReload last = info.lastReload();
        if (last == null) {
            o.putNull("last_reload");
        } else {
            ObjectNode r = ApiJson.reload(last.result());
            r.put("at_ms", last.atMillis());
            o.set("last_reload", r);
        }
        return o;
    }

    ObjectNode history() {
        TrafficHistory h = feed.history();
        ObjectNode o = NODES.objectNode();
        o.put("interval_ms", h.intervalMillis());
        o.put("capacity", h.capacity());
        o.put("sampled_at_ms", h.sampledAtMillis());
        series(o.putArray("listeners"), h.listeners());
        series(o.putArray("backends"), h.backends());
        return o;
    }

    private static void series(ArrayNode out, List<TrafficHistory.Series> all) {
        for (TrafficHistory.Series s : all) {
            ObjectNode j = out.addObject();
            if (s.pool() != null) {
                j.put("pool", s.pool());
                j.put("backend", s.name());
            } else {
                j.put("listener", s.name());
            }
            ArrayNode c = j.putArray("connections");
            for (int v : s.connections()) {
                c.add(v);
            }
            rates(j.putArray("new_connections_per_s"), s.opened());
            rates(j.putArray("bytes_in_per_s"), s.bytesIn());
            rates(j.putArray("bytes_out_per_s"), s.bytesOut());
        }
    }

    /** Rates to one decimal: a chart needs no more, and the answer stays small. */
    private static void rates(ArrayNode out, double[] values) {
        for (double v : values) {
            out.add(Math.round(v * 10) / 10.0);
        }
    }

    ObjectNode events() {
        ObjectNode o = NODES.objectNode();
        ArrayNode list = o.putArray("events");
        for (ProxyEvent e : feed.events()) {
            ObjectNode j = list.addObject();
            j.put("at_ms", e.atMillis());
            j.put("type", e.type().name());
            j.put("pool", e.pool());
            j.put("backend", e.backend());
            j.put("text", e.text());
        }
        return o;
    }
}
