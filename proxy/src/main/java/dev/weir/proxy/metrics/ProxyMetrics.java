package dev.weir.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * The proxy's meters. Few names, dimensions in tags:
 * <ul>
 *   <li>{@code weir.connections.opened{listener}} — accepted client connections (limit rejects included)</li>
 *   <li>{@code weir.connections.closed{listener,pool,backend,reason}} — ended connections by CloseReason</li>
 *   <li>{@code weir.connections.active{listener}} — live client connections</li>
 *   <li>{@code weir.bytes.received{listener}} / {@code weir.bytes.sent{listener}} — from / to clients</li>
 *   <li>{@code weir.connect.failures{pool,backend,cause}} — failed backend connects (refused, timeout, ...)</li>
 * </ul>
 * Counters are looked up once and cached, so the per-connection path does a map lookup, not a registration.
 */
public final class ProxyMetrics {

    private final MeterRegistry registry;
    private final ConcurrentMap<Tags, Counter> closed = new ConcurrentHashMap<>();
    private final ConcurrentMap<Tags, Counter> connectFailures = new ConcurrentHashMap<>();

    public ProxyMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Meters of one listener. */
    public ListenerMeters listener(String listener, Supplier<Number> active) {
        io.micrometer.core.instrument.Gauge.builder("weir.connections.active", active)
                .tag("listener", listener)
                .description("Live client connections")
                .register(registry);
        return new ListenerMeters(
                Counter.builder("weir.connections.opened").tag("listener", listener)
                        .description("Accepted client connections").register(registry),
                Counter.builder("weir.bytes.received").tag("listener", listener).baseUnit("bytes")
                        .description("Bytes received from clients").register(registry),
                Counter.builder("weir.bytes.sent").tag("listener", listener).baseUnit("bytes")
                        .description("Bytes sent to clients").register(registry));
    }

    public void connectionClosed(String listener, String pool, String backend, String reason) {
        Tags tags = Tags.of("listener", listener, "pool", pool, "backend", backend == null ? "none" : backend,
                "reason", reason);
        closed.computeIfAbsent(tags, t -> Counter.builder("weir.connections.closed").tags(t)
                .description("Ended client connections by reason").register(registry)).increment();
    }

    public void connectFailed(String pool, String backend, String cause) {
        Tags tags = Tags.of("pool", pool, "backend", backend, "cause", cause);
        connectFailures.computeIfAbsent(tags, t -> Counter.builder("weir.connect.failures").tags(t)
                .description("Failed connects to backends by cause").register(registry)).increment();
    }

    /** Sum of {@code weir.connections.closed} for one reason over every tag set (tests, status). */
    public double closedCount(String reason) {
        return registry.find("weir.connections.closed").tag("reason", reason).counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    /** Counters of one listener, resolved once at bind. */
    public record ListenerMeters(Counter opened, Counter bytesReceived, Counter bytesSent) {
    }
}
