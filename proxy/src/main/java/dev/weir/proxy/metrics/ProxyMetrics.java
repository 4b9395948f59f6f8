package dev.weir.proxy.metrics;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * The proxy's meters. Few names, dimensions in tags (Prometheus adds {@code _total}, {@code _seconds}):
 * <ul>
 *   <li>{@code weir.connections.opened{listener}}: accepted client connections (limit rejects included)</li>
 *   <li>{@code weir.connections.closed{listener,pool,backend,reason}}: ended connections by CloseReason</li>
 *   <li>{@code weir.connections.active{listener}}: live client connections</li>
 *   <li>{@code weir.event.loop.connections{loop}}: live client connections by event loop</li>
 *   <li>{@code weir.listener.rejects{listener,cause}}: clients refused at accept</li>
 *   <li>{@code weir.bytes.received{listener}} / {@code weir.bytes.sent{listener}}: from / to clients, counted as
 *       they pass (once per read batch), not when a connection closes</li>
 *   <li>{@code weir.flow.pauses{listener,side}}: reads paused because the other side was full</li>
 *   <li>{@code weir.connect.time{pool,backend}}: backend connect latency (histogram of {@link #latencyBuckets})</li>
 *   <li>{@code weir.connect.failures{pool,backend,cause}}: failed backend connects (refused, timeout, ...)</li>
 *   <li>{@code weir.backend.state{pool,backend,state}}: 1 for the backend's current state, else 0</li>
 *   <li>{@code weir.backend.connections.active{pool,backend}}: live connections (what a drain waits for)</li>
 *   <li>{@code weir.backend.transitions{pool,backend,to}}: health changes</li>
 *   <li>{@code weir.health.checks{pool,backend,result}} and {@code weir.health.check.duration{pool,backend}}</li>
 *   <li>{@code weir.warmpool.*}, {@code weir.reloads{result}}; JVM, process and Netty meters</li>
 *   <li>{@code weir.access.log.dropped}: access-log lines dropped on a full queue (registered by {@link AccessLog})</li>
 * </ul>
 * Meters on the per-connection path are looked up once and cached.
 */
public final class ProxyMetrics {

    /**
     * The bucket bounds of the latency histograms (backend connects, client TLS handshakes): 12 and +Inf, from a
     * same-rack connect to one near the default connect-timeout, so a scrape grows by a few lines per backend (a
     * percentile histogram has 69).
     */
    private static final Duration[] LATENCY_BUCKETS = {
        Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5),
        Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5)};

    private final MeterRegistry registry;
    /** Keyed by a plain record, not {@code Tags}: building Tags sorts them, once per closed connection. */
    private record ClosedKey(String listener, String pool, String backend, String reason) {}

    private final ConcurrentMap<ClosedKey, Counter> closed = new ConcurrentHashMap<>();
    private final ConcurrentMap<Tags, Counter> connectFailures = new ConcurrentHashMap<>();
    private final ConcurrentMap<Backend, BackendMeters> backends = new ConcurrentHashMap<>();

    public ProxyMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The bucket bounds of every latency histogram (docs/admin-api.md, "Series"). */
    public static Duration[] latencyBuckets() {
        return LATENCY_BUCKETS.clone();
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** JVM, process, allocator and event-loop meters, once per proxy. */
    public void bindRuntime(EventLoopGroup group) {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
            new NettyAllocatorMetrics(provider).bindTo(registry);
        }
        new NettyEventExecutorMetrics(group).bindTo(registry);
    }

    /**
     * {@code weir.event.loop.connections{loop}}: each event loop's live client connections ({@code loop} its index in
     * the group), so an operator sees how evenly the kernel's SO_REUSEPORT spread the clients over the loops.
     */
    public void bindLoops(EventLoopGroup group, ToIntFunction<EventLoop> connectionsOn) {
        int i = 0;
        for (EventExecutor e : group) {
            EventLoop loop = (EventLoop) e;
            Gauge.builder("weir.event.loop.connections", () -> connectionsOn.applyAsInt(loop))
                    .tag("loop", Integer.toString(i++))
                    .description("Live client connections served by this event loop").register(registry);
        }
    }

    /** Meters of one listener. */
    public ListenerMeters listener(String listener, Supplier<Number> active) {
        Gauge.builder("weir.connections.active", active).tag("listener", listener)
                .description("Live client connections").register(registry);
        return new ListenerMeters(
                Counter.builder("weir.connections.opened").tag("listener", listener)
                        .description("Accepted client connections").register(registry),
                Counter.builder("weir.bytes.received").tag("listener", listener)
                        .description("Bytes received from clients").register(registry),
                Counter.builder("weir.bytes.sent").tag("listener", listener)
                        .description("Bytes sent to clients").register(registry),
                Counter.builder("weir.listener.rejects").tags("listener", listener, "cause", "max_connections")
                        .description("Clients refused at accept").register(registry),
                Counter.builder("weir.flow.pauses").tags("listener", listener, "side", "client")
                        .description("Reads paused because the other side could take no more").register(registry),
                Counter.builder("weir.flow.pauses").tags("listener", listener, "side", "backend")
                        .description("Reads paused because the other side could take no more").register(registry));
    }

    public void connectionClosed(String listener, String pool, String backend, String reason) {
        ClosedKey key = new ClosedKey(listener, pool, backend == null ? "none" : backend, reason);
        Counter c = closed.get(key);
        if (c == null) {
            c = closed.computeIfAbsent(key, k -> Counter.builder("weir.connections.closed")
                    .tags("listener", k.listener(), "pool", k.pool(), "backend", k.backend(), "reason", k.reason())
                    .description("Ended client connections by reason").register(registry));
        }
        c.increment();
    }

    public void connectFailed(String pool, String backend, String cause) {
        Tags tags = Tags.of("pool", pool, "backend", backend, "cause", cause);
        connectFailures.computeIfAbsent(tags, t -> Counter.builder("weir.connect.failures").tags(t)
                .description("Failed connects to backends by cause").register(registry)).increment();
    }

    /** A backend connect that succeeded after {@code nanos}. */
    public void connected(String pool, Backend backend, long nanos) {
        BackendMeters m = backends.get(backend);
        if (m != null) {
            m.connectTime.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Registers a backend's meters (state gauges, live connections, health); idempotent. */
    public void backendAdded(String pool, Backend backend) {
        backends.computeIfAbsent(backend, b -> new BackendMeters(pool, b));
    }

    /** Removes a backend's meters once it has left its pool. */
    public void backendRemoved(Backend backend) {
        BackendMeters m = backends.remove(backend);
        if (m != null) {
            m.meters.forEach(registry::remove);
        }
    }

    public void healthChanged(Backend backend, boolean healthy) {
        BackendMeters m = backends.get(backend);
        if (m != null) {
            (healthy ? m.toUp : m.toDown).increment();
        }
    }

    public void probed(Backend backend, boolean ok, long durationMillis) {
        BackendMeters m = backends.get(backend);
        if (m != null) {
            (ok ? m.checksPassed : m.checksFailed).increment();
            m.checkDuration.record(durationMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** Sum of {@code weir.connections.closed} for one reason over every tag set (tests, status). */
    public double closedCount(String reason) {
        return registry.find("weir.connections.closed").tag("reason", reason).counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    /** Counters of one listener, resolved once at bind. */
    public record ListenerMeters(Counter opened, Counter bytesReceived, Counter bytesSent, Counter rejects,
                                 Counter clientPauses, Counter backendPauses) {
    }

    private final class BackendMeters {
        final List<Meter> meters = new ArrayList<>();
        final Timer connectTime;
        final Counter toUp;
        final Counter toDown;
        final Counter checksPassed;
        final Counter checksFailed;
        final Timer checkDuration;

        BackendMeters(String pool, Backend b) {
            Tags tags = Tags.of("pool", pool, "backend", b.id());
            for (BackendState s : BackendState.values()) {
                meters.add(Gauge.builder("weir.backend.state", b, x -> x.state() == s ? 1 : 0)
                        .tags(tags.and("state", s.name())).description("1 for the backend's current state")
                        .register(registry));
            }
            meters.add(Gauge.builder("weir.backend.connections.active", b, Backend::activeConnections).tags(tags)
                    .description("Live connections to the backend").register(registry));
            connectTime = add(Timer.builder("weir.connect.time").tags(tags).serviceLevelObjectives(LATENCY_BUCKETS)
                    .description("Time to connect to the backend").register(registry));
            toUp = add(Counter.builder("weir.backend.transitions").tags(tags.and("to", "UP"))
                    .description("Health state changes").register(registry));
            toDown = add(Counter.builder("weir.backend.transitions").tags(tags.and("to", "DOWN"))
                    .description("Health state changes").register(registry));
            checksPassed = add(Counter.builder("weir.health.checks").tags(tags.and("result", "pass"))
                    .description("Active health check results").register(registry));
            checksFailed = add(Counter.builder("weir.health.checks").tags(tags.and("result", "fail"))
                    .description("Active health check results").register(registry));
            checkDuration = add(Timer.builder("weir.health.check.duration").tags(tags)
                    .description("Duration of active health checks").register(registry));
        }

        private <M extends Meter> M add(M meter) {
            meters.add(meter);
            return meter;
        }
    }
}
