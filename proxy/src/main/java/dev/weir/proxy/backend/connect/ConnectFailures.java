package dev.weir.proxy.backend.connect;

import dev.weir.proxy.transport.SocketErrors;

/** A failed backend connect in words: a short cause tag for metrics, a detail for logs. Stateless. */
final class ConnectFailures {

    private ConnectFailures() {
    }

    /** A backend's TLS handshake failed: a failed connect, tagged {@code tls}. */
    static final class TlsFailure extends Exception {
        TlsFailure(Throwable cause) {
            super("tls: " + message(cause.getCause() != null && cause.getMessage() != null
                    && cause.getMessage().contains("Exception") ? cause.getCause() : cause), cause, false, false);
        }
    }

    /** A short cause tag for metrics: refused, timeout, unreachable, tls, other. */
    static String causeOf(Throwable t) {
        if (t instanceof TlsFailure) {
            return "tls";
        }
        return switch (SocketErrors.describe(t)) {
            case "connection refused" -> "refused";
            case "timed out" -> "timeout";
            case "no route to host", "network unreachable" -> "unreachable";
            default -> "other";
        };
    }

    /** The failure in words ({@code connection refused}), without the stack trace: a refused connect is an event. */
    static String detail(Throwable t) {
        return t instanceof TlsFailure ? message(t) : SocketErrors.describe(t);
    }

    private static String message(Throwable t) {
        String msg = t.getMessage();
        return msg == null ? t.getClass().getSimpleName() : msg.replace('"', '\'');
    }
}
