package dev.weir.proxy.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weir.proxy.api.BackendStatus;
import dev.weir.proxy.api.ReloadResult;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.health.HealthStatus;
import java.util.List;

/**
 * The admin API's JSON. Field names are snake_case and stable: docs/admin-api.md documents them, and
 * scripts depend on them. Enum values are the Java names (UP, DRAINING, ...), as in the logs.
 */
final class ApiJson {

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ApiJson() {
    }

    static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // a tree of plain nodes always serializes
        }
    }

    static ObjectNode error(String code, String detail) {
        ObjectNode o = NODES.objectNode();
        o.put("error", code);
        o.put("detail", detail);
        return o;
    }

    /** One pool: its settings that matter to an operator, and every backend. */
    static ObjectNode pool(String name, PoolConfig config, List<BackendStatus> backends) {
        ObjectNode o = NODES.objectNode();
        o.put("name", name);
        o.put("balance", config == null ? null : config.balance().yamlName());
        o.put("health_check", config == null || config.healthCheck() == null ? null
                : config.healthCheck().type().yamlName());
        long drainTimeoutMs = config == null ? 0 : config.drainTimeout().toMillis();
        ArrayNode list = o.putArray("backends");
        for (BackendStatus b : backends) {
            list.add(backend(b, drainTimeoutMs));
        }
        return o;
    }

    /**
     * One backend. {@code drain} is null unless it drains (operator, config change or removal);
     * {@code health} is null when the pool has no health checks or passive ejection.
     */
    static ObjectNode backend(BackendStatus b, long drainTimeoutMs) {
        ObjectNode o = NODES.objectNode();
        o.put("id", b.id());
        o.put("name", b.name());
        o.put("address", b.address());
        o.put("state", b.state().name());
        o.put("admin", b.admin().name());
        o.put("removed", b.removed());
        o.put("weight", b.weight());
        o.put("active_connections", b.activeConnections());
        o.put("total_connections", b.totalConnections());
        o.put("connect_failures", b.connectFailures());
        o.put("bytes_to_backend", b.bytesToBackend());
        o.put("bytes_from_backend", b.bytesFromBackend());
        if (b.drainStartedMillis() > 0) {
            ObjectNode d = o.putObject("drain");
            d.put("started_at_ms", b.drainStartedMillis());
            d.put("deadline_at_ms", b.drainStartedMillis() + drainTimeoutMs);
            d.put("remaining_connections", b.activeConnections());
        } else {
            o.putNull("drain");
        }
        HealthStatus h = b.health();
        if (h != null) {
            ObjectNode j = o.putObject("health");
            j.put("healthy", h.healthy());
            j.put("last_result_ok", h.lastResultOk());
            j.put("last_cause", h.lastCause());
            j.put("last_check_ms", h.lastCheckMillis());
            j.put("consecutive_passes", h.consecutivePasses());
            j.put("consecutive_failures", h.consecutiveFailures());
            j.put("ejections", h.ejections());
            j.put("check_duration_ms", h.checkDurationMillis());
        } else {
            o.putNull("health");
        }
        o.put("warm_pool_idle", b.warmIdle());
        return o;
    }

    static ObjectNode reload(ReloadResult r) {
        ObjectNode o = NODES.objectNode();
        o.put("result", r.outcome().name());
        ArrayNode changes = o.putArray("changes");
        r.changes().forEach(changes::add);
        ArrayNode errors = o.putArray("errors");
        r.errors().forEach(errors::add);
        // Runtime changes made through this API that the file replaced ("pool/id").
        ArrayNode overridden = o.putArray("overridden");
        r.overridden().forEach(overridden::add);
        return o;
    }
}
