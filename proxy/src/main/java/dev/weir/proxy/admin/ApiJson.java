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
import dev.weir.proxy.config.Bytes;
import dev.weir.proxy.config.HostPort;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.health.HealthStatus;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
    static final String MASK = "****";

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

    /**
     * The running config in the shape of weir.yaml: record components become kebab-case keys,
     * durations read {@code 5s}, addresses {@code host:port}, enums their YAML spelling. Secrets
     * ({@code token}, {@code password}, {@code secret}) are masked as {@code ****}.
     */
    static JsonNode config(Object value) {
        return tree(value, null);
    }

    private static JsonNode tree(Object value, String mapKey) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof String s) {
            return NODES.textNode(s);
        }
        if (value instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            return NODES.numberNode(((Number) value).longValue());
        }
        if (value instanceof Number n) {
            return NODES.numberNode(n.doubleValue());
        }
        if (value instanceof Duration d) {
            return NODES.textNode(duration(d));
        }
        if (value instanceof HostPort || value instanceof Bytes) {
            return NODES.textNode(value.toString());
        }
        if (value instanceof Enum<?> e) {
            return NODES.textNode(yamlName(e));
        }
        if (value instanceof Map<?, ?> m) {
            ObjectNode o = NODES.objectNode();
            m.forEach((k, v) -> o.set(String.valueOf(k), tree(v, String.valueOf(k))));
            return o;
        }
        if (value instanceof Collection<?> c) {
            ArrayNode a = NODES.arrayNode();
            c.forEach(v -> a.add(tree(v, null)));
            return a;
        }
        if (value instanceof Record r) {
            ObjectNode o = NODES.objectNode();
            for (RecordComponent c : r.getClass().getRecordComponents()) {
                Object v = read(c, r);
                if (c.getName().equals("name") && mapKey != null && mapKey.equals(v)) {
                    continue; // already the key, as in the YAML
                }
                o.set(kebab(c.getName()), secret(c.getName()) ? mask(v) : tree(v, null));
            }
            return o;
        }
        return NODES.textNode(value.toString());
    }

    private static Object read(RecordComponent c, Record r) {
        try {
            return c.getAccessor().invoke(r);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + r.getClass().getSimpleName() + "." + c.getName(), e);
        }
    }

    private static boolean secret(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.contains("token") || n.contains("password") || n.contains("secret");
    }

    private static JsonNode mask(Object v) {
        if (v == null) {
            return NODES.nullNode();
        }
        return NODES.textNode(v.toString().isEmpty() ? "" : MASK);
    }

    private static String yamlName(Enum<?> e) {
        try {
            Method m = e.getDeclaringClass().getMethod("yamlName");
            return String.valueOf(m.invoke(e));
        } catch (ReflectiveOperationException ignored) {
            return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    static String kebab(String camel) {
        StringBuilder sb = new StringBuilder(camel.length() + 4);
        for (int i = 0; i < camel.length(); i++) {
            char c = camel.charAt(i);
            if (Character.isUpperCase(c)) {
                sb.append('-').append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}: the largest unit that is exact. */
    static String duration(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0s";
        }
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
