package dev.weir.proxy.backend.connect;

import io.netty.channel.ConnectTimeoutException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.util.Locale;

/** A failed backend connect in words: a short cause tag for metrics, a detail for logs. Stateless. */
final class ConnectFailures {

    private ConnectFailures() {
    }

    /** A backend's TLS handshake failed: a failed connect, tagged {@code tls}. */
    static final class TlsFailure extends Exception {
        TlsFailure(Throwable cause) {
            super("tls: " + detail(cause.getCause() != null && cause.getMessage() != null
                    && cause.getMessage().contains("Exception") ? cause.getCause() : cause), cause, false, false);
        }
    }

    /** A short cause tag for metrics: refused, timeout, unreachable, tls, other. */
    static String causeOf(Throwable t) {
        if (t instanceof TlsFailure) {
            return "tls";
        }
        if (t instanceof ConnectTimeoutException) {
            return "timeout";
        }
        if (t instanceof NoRouteToHostException) {
            return "unreachable";
        }
        if (t instanceof ConnectException) {
            String msg = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            return msg.contains("refused") ? "refused" : msg.contains("unreachable") ? "unreachable" : "other";
        }
        return "other";
    }

    /** The failure in words, without the stack trace: a refused connect is an event, not a crash. */
    static String detail(Throwable t) {
        if (t == null) {
            return "unknown";
        }
        String msg = t.getMessage();
        return msg == null ? t.getClass().getSimpleName() : msg.replace('"', '\'');
    }
}
