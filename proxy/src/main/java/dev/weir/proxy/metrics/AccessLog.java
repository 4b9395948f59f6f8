package dev.weir.proxy.metrics;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.weir.proxy.config.AccessLogConfig;
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
 * writes nothing before it). The settings can change on reload.
 */
public final class AccessLog {

    private static final Logger access = LoggerFactory.getLogger("weir.access");
    /** Marks a line that is a JSON object by itself: the log setup writes it without the time, level and logger. */
    public static final Marker JSON_LINE = MarkerFactory.getMarker("JSON_LINE");
    private static final JsonFactory JSON = new JsonFactory();

    /**
     * What one finished connection was. {@code backend} is null when none was connected; connectMillis -1 then.
     * {@code tls} is null unless the listener terminated TLS and the handshake succeeded.
     */
    /**
     * @param tlsError     why the client's TLS handshake failed, as {@code weir_tls_handshakes_total} counts it; or null
     * @param connectError why the last connect to a backend failed ({@code connection refused}), on a connection that
     *                     got none; null otherwise
     */
    public record Entry(String listener, String clientIp, int clientPort, String pool, String backend,
                        long connectMillis, long durationMillis, long bytesUp, long bytesDown, String reason, Tls tls,
                        String tlsError, String connectError) {

        /** A connection without terminated TLS, that got a backend or was refused before any connect. */
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

    public AccessLog(AccessLogConfig config) {
        this.config = config;
    }

    public void update(AccessLogConfig config) {
        this.config = config;
    }

    public boolean enabled() {
        return config.enabled() && access.isInfoEnabled();
    }

    public void log(Entry e) {
        if (!enabled()) {
            return;
        }
        if (config.format() == AccessLogConfig.Format.JSON) {
            access.info(JSON_LINE, json(e));
        } else {
            access.info(text(e));
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
            g.writeStringField("time", Instant.now().toString());
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
