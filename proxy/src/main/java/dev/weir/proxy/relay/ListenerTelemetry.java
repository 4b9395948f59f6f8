package dev.weir.proxy.relay;

import dev.weir.proxy.metrics.AccessLog;
import dev.weir.proxy.metrics.CloseReason;
import dev.weir.proxy.metrics.ProxyMetrics;
import dev.weir.proxy.transport.SocketErrors;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one listener reports: its meters, the counters of refused clients and SNI outcomes, the access-log line of
 * each finished connection, and socket-error logs. Counters are looked up once per tag value, never per connection.
 *
 * <p>Thread rule: called from every event loop at once; the meters and maps it uses are thread-safe.
 */
final class ListenerTelemetry {

    private static final Logger log = LoggerFactory.getLogger(ProxyListener.class);

    private final String listener;
    private final ProxyMetrics metrics;
    private final AccessLog accessLog;
    private final ProxyMetrics.ListenerMeters meters;
    private final RateLimitedLog rejectLog = new RateLimitedLog(log);
    private final Map<String, Counter> rejectCounters = new ConcurrentHashMap<>();
    private final Map<String, Counter> sniCounters = new ConcurrentHashMap<>();
    private final Map<String, Counter> tlsCounters = new ConcurrentHashMap<>();
    private final RateLimitedLog tlsLog = new RateLimitedLog(log);
    /** The TLS meters, made when the listener first terminates TLS (a plaintext listener has none). */
    private volatile Timer handshakeTime;
    private volatile MultiGauge expiries;

    ListenerTelemetry(String listener, ProxyMetrics metrics, AccessLog accessLog, ProxyMetrics.ListenerMeters meters) {
        this.listener = listener;
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.meters = meters;
    }

    ProxyMetrics.ListenerMeters meters() {
        return meters;
    }

    /** A client refused before any backend was chosen: counted by cause, logged at most once a second. */
    void rejected(CloseReason reason) {
        rejectCounters.computeIfAbsent(reason.name(), r -> Counter.builder("weir.listener.rejects")
                .tags("listener", listener, "cause", r.toLowerCase(Locale.ROOT))
                .description("Clients refused at accept").register(metrics.registry())).increment();
        rejectLog.info("clients refused listener={} reason={} count={}", listener, reason);
    }

    /** A client whose TLS handshake failed: counted by its cause, and logged at most once a second. */
    void tlsFailed(Connection c, Throwable cause) {
        String kind = TlsFailures.kind(cause);
        handshakes(kind).increment();
        if (c != null) {
            c.tlsFailed(kind);
        }
        tlsLog.info("tls handshake failed listener={} client={} cause=\"{}\" count={}", listener,
                c == null ? "-" : c.clientAddress(), TlsFailures.describe(cause));
    }

    /** A client's TLS handshake succeeded, {@code nanos} after it connected. */
    void tlsSucceeded(long nanos) {
        handshakes("ok").increment();
        handshakeTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    private Counter handshakes(String result) {
        return tlsCounters.computeIfAbsent(result, r -> Counter.builder("weir.tls.handshakes")
                .tags("listener", listener, "result", r).description("TLS handshakes of clients, by result")
                .register(metrics.registry()));
    }

    /** The certificates the listener serves now: each one's expiry, as seconds since the epoch. */
    void certificates(List<X509Certificate> served) {
        if (expiries == null) {
            if (served.isEmpty()) {
                return;
            }
            handshakeTime = Timer.builder("weir.tls.handshake.time").tag("listener", listener)
                    .description("From accept to a client's finished TLS handshake")
                    .serviceLevelObjectives(ProxyMetrics.latencyBuckets())
                    .register(metrics.registry());
            expiries = MultiGauge.builder("weir.tls.certificate.expiry").tag("listener", listener).baseUnit("seconds")
                    .description("When each served certificate expires, in seconds since the epoch")
                    .register(metrics.registry());
        }
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (X509Certificate c : served) {
            long expiry = c.getNotAfter().getTime() / 1000;
            rows.add(MultiGauge.Row.of(Tags.of("subject", c.getSubjectX500Principal().getName(),
                    "serial", c.getSerialNumber().toString(16)), expiry));
        }
        expiries.register(rows, true);
    }

    void sniResult(String result) {
        sniCounters.computeIfAbsent(result, r -> Counter.builder("weir.sni.results").tags("listener", listener, "result", r)
                .description("SNI peeks by outcome").register(metrics.registry())).increment();
    }

    /** A client closed at accept for the listener's max-connections. */
    void limitReached(String pool) {
        meters.opened().increment();
        meters.rejects().increment();
        metrics.connectionClosed(listener, pool, null, CloseReason.CONNECTION_LIMIT.name());
    }

    /** A finished connection: its bytes, its close reason, its access-log line (queued: see AccessLog). */
    void recordClose(Connection c) {
        String backendId = c.backend() == null ? null : c.backend().id();
        c.bytes().report(); // what the last read batches added
        metrics.connectionClosed(listener, c.pool().name(), backendId, c.reason().name());
        if (accessLog.enabled()) {
            long now = System.nanoTime();
            accessLog.log(new AccessLog.Entry(System.currentTimeMillis(), listener, c.clientAddress().getAddress().getHostAddress(), c.clientAddress().getPort(),
                    c.pool().name(), backendId, c.backend() == null ? -1 : TimeUnit.NANOSECONDS.toMillis(c.connectedNanos() - c.startNanos()),
                    TimeUnit.NANOSECONDS.toMillis(now - c.startNanos()), c.bytes().fromClient(), c.bytes().fromBackend(), c.reason().name(),
                    c.tls(), c.tlsError(), c.backend() == null ? c.connectError() : null));
        }
    }

    /**
     * A reset, an I/O error or a peer's broken TLS (a bad record, a renegotiation refused: an SSLException inside
     * the TLS handler's DecoderException) is an event (debug): a peer can cause it at will, so no warning per
     * connection. Anything else is unexpected (a warning with its trace).
     */
    void logSocketError(Connection c, boolean clientSide, Throwable cause) {
        Throwable io = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (io instanceof IOException) {
            log.debug("socket error listener={} side={} client={} cause=\"{}\"", listener,
                    clientSide ? "client" : "backend", c == null ? "-" : c.clientAddress(),
                    io instanceof SSLException ? TlsFailures.describe(io) : SocketErrors.describe(io));
        } else {
            log.warn("unexpected error listener={} side={} client={}", listener,
                    clientSide ? "client" : "backend", c == null ? "-" : c.clientAddress(), cause);
        }
    }
}
