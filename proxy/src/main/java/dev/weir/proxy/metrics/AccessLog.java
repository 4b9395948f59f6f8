package dev.weir.proxy.metrics;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.weir.proxy.config.AccessLogConfig;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * One line per finished connection on the logger {@code weir.access}, as text ({@code key=value})
 * or as one JSON object per line, marked {@link #JSON_LINE} (the line has its own {@code time}, and the log setup
 * writes nothing before it). The settings can change on reload; a new format applies from the next line written.
 *
 * <p>The event loops only queue each {@link Entry}; one thread, {@code weir-access-log} ({@link AccessLogWriter}),
 * formats and writes the lines, in the order they were queued, as logback events stamped with the time the
 * connection ended (they go to the appenders of {@code weir.access} and its parents; turbo filters do not see
 * them). A full queue ({@value #DEFAULT_QUEUE} lines) drops the line and counts it in
 * {@code weir.access.log.dropped}; {@link #close} writes what is queued.
 *
 * <p>Thread rule: {@link #log} and {@link #enabled} from any thread (the event loops); {@link #update} and
 * {@link #close} from the control thread or the stop; the lines are formatted and written on the writer thread.
 */
public final class AccessLog {

    private static final Logger access = LoggerFactory.getLogger("weir.access");
    private static final Logger log = LoggerFactory.getLogger(AccessLog.class);
    /** Marks a line that is a JSON object by itself: the log setup writes it without the time, level and logger. */
    public static final Marker JSON_LINE = MarkerFactory.getMarker("JSON_LINE");
    private static final JsonFactory JSON = new JsonFactory();
    /** The queue's size in lines, a setting for tests (a queue that fills in a few connections). */
    static final String QUEUE_PROPERTY = "weir.access-log.queue-size";
    static final int DEFAULT_QUEUE = 8192;

    /**
     * What one finished connection was, and when it ended ({@code timeMillis}, since the epoch). {@code backend} is
     * null when none was connected; connectMillis -1 then. {@code tls} is null unless the listener terminated TLS and
     * the handshake succeeded.
     *
     * @param tlsError     why the client's TLS handshake failed, as {@code weir_tls_handshakes_total} counts it; or null
     * @param connectError why the last connect to a backend failed ({@code connection refused}), on a connection that
     *                     got none; null otherwise
     */
    public record Entry(long timeMillis, String listener, String clientIp, int clientPort, String pool, String backend,
                        long connectMillis, long durationMillis, long bytesUp, long bytesDown, String reason, Tls tls,
                        String tlsError, String connectError) {

        /** A connection that ended now. */
        public Entry(String listener, String clientIp, int clientPort, String pool, String backend,
                     long connectMillis, long durationMillis, long bytesUp, long bytesDown, String reason, Tls tls,
                     String tlsError, String connectError) {
            this(System.currentTimeMillis(), listener, clientIp, clientPort, pool, backend, connectMillis,
                    durationMillis, bytesUp, bytesDown, reason, tls, tlsError, connectError);
        }

        /** A connection that ended now, without terminated TLS, that got a backend or was refused before any connect. */
        public Entry(String listener, String clientIp, int clientPort, String pool, String backend,
                     long connectMillis, long durationMillis, long bytesUp, long bytesDown, String reason) {
            this(listener, clientIp, clientPort, pool, backend, connectMillis, durationMillis, bytesUp, bytesDown,
                    reason, null, null, null);
        }
    }

    /**
     * The TLS session of a terminated connection: its version and cipher suite, the server name the client asked for
     * and the application protocol agreed (null when none), and the client certificate's subject (null without one).
     */
    public record Tls(String version, String cipher, String sni, String alpn, String clientSubject) {
    }

    private volatile AccessLogConfig config;
    private final AccessLogWriter<Entry> writer;

    /** Registers {@code weir.access.log.dropped} in {@code registry}; the writer thread starts when the log is on. */
    public AccessLog(AccessLogConfig config, MeterRegistry registry) {
        this.config = config;
        this.writer = new AccessLogWriter<>("weir-access-log", Math.max(1, Integer.getInteger(QUEUE_PROPERTY, DEFAULT_QUEUE)),
                this::write, log, System::nanoTime);
        FunctionCounter.builder("weir.access.log.dropped", writer, AccessLogWriter::dropped)
                .description("Access-log lines dropped because the writer's queue was full").register(registry);
        if (config.enabled()) {
            writer.start();
        }
    }

    public void update(AccessLogConfig config) {
        if (config.enabled()) {
            writer.start();
        }
        this.config = config;
    }

    public boolean enabled() {
        return config.enabled() && access.isInfoEnabled();
    }

    /** Queues the line of {@code e}; never waits (a full queue drops it). */
    public void log(Entry e) {
        if (enabled()) {
            writer.offer(e);
        }
    }

    /** Lines dropped since the start: the queue was full. */
    public long dropped() {
        return writer.dropped();
    }

    /**
     * Writes every line queued so far, then stops the writer (at most 5 s: an output that blocks longer loses the
     * rest). Lines logged after this are dropped.
     */
    public void close() {
        try {
            if (!writer.close(5000)) {
                log.warn("access log: the writer did not finish within 5s at shutdown (its output blocks)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** On the writer thread: the line in the format in effect, stamped with the time the connection ended. */
    private void write(Entry e) {
        boolean json = config.format() == AccessLogConfig.Format.JSON;
        String line = json ? json(e) : text(e);
        if (access instanceof ch.qos.logback.classic.Logger logback) {
            LoggingEvent event = new LoggingEvent(AccessLog.class.getName(), logback, Level.INFO, line, null, null);
            event.setTimeStamp(e.timeMillis());
            if (json) {
                event.addMarker(JSON_LINE);
            }
            logback.callAppenders(event);
        } else if (json) {
            access.info(JSON_LINE, line);
        } else {
            access.info(line);
        }
    }

    static String text(Entry e) {
        return "listener=" + e.listener() + " client=" + hostPort(e.clientIp(), e.clientPort()) + " pool=" + e.pool()
                + " backend=" + (e.backend() == null ? "-" : e.backend())
                + " connect_ms=" + (e.connectMillis() < 0 ? "-" : e.connectMillis())
                + " duration_ms=" + e.durationMillis() + " bytes_up=" + e.bytesUp() + " bytes_down=" + e.bytesDown()
                + " reason=" + e.reason() + (e.tls() == null ? "" : tlsText(e.tls()))
                + (e.tlsError() == null ? "" : " tls_error=" + e.tlsError())
                + (e.connectError() == null ? "" : " connect_error=\"" + e.connectError() + "\"");
    }

    private static String tlsText(Tls t) {
        return " tls=" + t.version() + " cipher=" + t.cipher() + " sni=" + (t.sni() == null ? "-" : t.sni())
                + " alpn=" + (t.alpn() == null ? "-" : t.alpn())
                + " client_cert=" + (t.clientSubject() == null ? "-" : "\"" + t.clientSubject().replace("\"", "'") + "\"");
    }

    static String json(Entry e) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("time", Instant.ofEpochMilli(e.timeMillis()).toString());
            g.writeStringField("listener", e.listener());
            g.writeStringField("client", hostPort(e.clientIp(), e.clientPort()));
            g.writeStringField("pool", e.pool());
            if (e.backend() == null) {
                g.writeNullField("backend");
            } else {
                g.writeStringField("backend", e.backend());
            }
            if (e.connectMillis() < 0) {
                g.writeNullField("connect_ms");
            } else {
                g.writeNumberField("connect_ms", e.connectMillis());
            }
            g.writeNumberField("duration_ms", e.durationMillis());
            g.writeNumberField("bytes_up", e.bytesUp());
            g.writeNumberField("bytes_down", e.bytesDown());
            g.writeStringField("reason", e.reason());
            if (e.tls() != null) {
                g.writeObjectFieldStart("tls");
                g.writeStringField("version", e.tls().version());
                g.writeStringField("cipher", e.tls().cipher());
                g.writeStringField("sni", e.tls().sni());
                g.writeStringField("alpn", e.tls().alpn());
                g.writeStringField("client_cert", e.tls().clientSubject());
                g.writeEndObject();
            }
            if (e.tlsError() != null) {
                g.writeStringField("tls_error", e.tlsError());
            }
            if (e.connectError() != null) {
                g.writeStringField("connect_error", e.connectError());
            }
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toString();
    }

    private static String hostPort(String ip, int port) {
        return ip.indexOf(':') >= 0 ? "[" + ip + "]:" + port : ip + ":" + port;
    }
}
