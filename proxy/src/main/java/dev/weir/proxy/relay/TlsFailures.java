package dev.weir.proxy.relay;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.util.Locale;

/** Names the cause of a failed TLS handshake for a counter's tag and a log line. Stateless. */
final class TlsFailures {

    private TlsFailures() {
    }

    /** timeout, not_tls, oversized, no_certificate, bad_certificate, protocol, cipher, closed or other. */
    static String kind(Throwable cause) {
        Throwable c = unwrap(cause);
        if (c instanceof SslHandshakeTimeoutException) {
            return "timeout";
        }
        if (c instanceof NotSslRecordException) {
            return "not_tls";
        }
        if (c instanceof TooLongFrameException) {
            return "oversized"; // a ClientHello over the 16 KiB read before the certificate is chosen
        }
        // Every message of the chain: BoringSSL's engine wraps a rejected client chain in "General OpenSslEngine
        // problem", with the trust manager's reason as its cause.
        StringBuilder all = new StringBuilder();
        for (Throwable t = c; t != null; t = t.getCause() == t ? null : t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        String m = all.toString().toLowerCase(Locale.ROOT);
        if (m.contains("empty client certificate") || m.contains("certificate_required") || m.contains("no client certificate")
                || m.contains("peer not authenticated") || m.contains("peer_did_not_return_a_certificate")) {
            return "no_certificate";
        }
        if (m.contains("certificate") || m.contains("pkix") || m.contains("unknown_ca") || m.contains("cert")) {
            return "bad_certificate";
        }
        if (m.contains("protocol") || m.contains("version")) {
            return "protocol";
        }
        if (m.contains("cipher")) {
            return "cipher";
        }
        if (m.contains("closed") || m.contains("connection reset")) {
            return "closed";
        }
        return "other";
    }

    /**
     * The first message that says something, then the innermost cause's when it adds to it (one line):
     * "General OpenSslEngine problem: unable to find valid certification path to requested target".
     */
    static String describe(Throwable cause) {
        Throwable c = unwrap(cause);
        String m = c.getMessage();
        Throwable t = c;
        while ((m == null || m.isEmpty()) && t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
            m = t.getMessage();
        }
        String text = m == null ? c.getClass().getSimpleName() : m;
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String rootMessage = root.getMessage();
        if (root != t && rootMessage != null && !rootMessage.isEmpty() && !text.contains(rootMessage)) {
            text = text + ": " + rootMessage;
        }
        return text.replace('\n', ' ').replace('"', '\'');
    }

    private static Throwable unwrap(Throwable cause) {
        Throwable c = cause;
        while (c instanceof DecoderException && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
