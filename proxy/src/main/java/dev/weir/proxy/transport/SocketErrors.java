package dev.weir.proxy.transport;

import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.unix.Errors;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A socket failure as a person would write it ({@code connection refused}, {@code timed out}, {@code no route to
 * host}), for logs and the API, instead of Netty's {@code finishConnect(..) failed with error(-111): Connection
 * refused}. The native transports give the errno (Linux's numbers: they run on Linux only); the JDK's NIO gives
 * only its message, read for the same few phrases. Anything else keeps its own message. Stateless.
 */
public final class SocketErrors {

    private static final Map<Integer, String> ERRNOS = Map.ofEntries(
            Map.entry(1, "operation not permitted"), Map.entry(13, "permission denied"),
            Map.entry(23, "too many open files in the system"), Map.entry(24, "too many open files"),
            Map.entry(32, "broken pipe"), Map.entry(98, "address already in use"), Map.entry(99, "address not available"),
            Map.entry(101, "network unreachable"), Map.entry(103, "connection aborted"),
            Map.entry(104, "connection reset"), Map.entry(110, "timed out"), Map.entry(111, "connection refused"),
            Map.entry(113, "no route to host"));
    /** How Netty's native transports write the errno: {@code connect(..) failed with error(-111): ...}. */
    private static final Pattern NATIVE_ERRNO = Pattern.compile("failed with error\\((-?\\d+)\\)");
    /** The JDK's messages (strerror's text), lower case, and what Weir calls them. */
    private static final String[][] PHRASES = {
        {"connection refused", "connection refused"}, {"timed out", "timed out"},
        {"no route to host", "no route to host"}, {"network is unreachable", "network unreachable"},
        {"connection reset", "connection reset"}, {"broken pipe", "broken pipe"},
        {"too many open files", "too many open files"}, {"cannot assign requested address", "address not available"},
        {"address already in use", "address already in use"}, {"permission denied", "permission denied"},
    };

    private SocketErrors() {
    }

    /** The failure in a few words, on one line, without quotes; {@code unknown} for null. */
    public static String describe(Throwable t) {
        if (t == null) {
            return "unknown";
        }
        if (t instanceof ConnectTimeoutException || t instanceof SocketTimeoutException) {
            return "timed out";
        }
        if (t instanceof Errors.NativeIoException n && ERRNOS.containsKey(-n.expectedErr())) {
            return ERRNOS.get(-n.expectedErr());
        }
        String message = t.getMessage();
        if (t instanceof NoRouteToHostException && (message == null || message.isEmpty())) {
            return "network unreachable"; // Netty's native connect throws it bare for ENETUNREACH
        }
        if (t instanceof UnknownHostException) {
            return "unknown host " + message;
        }
        if (message == null || message.isEmpty()) {
            return t.getClass().getSimpleName();
        }
        Matcher errno = NATIVE_ERRNO.matcher(message);
        if (errno.find()) {
            String known = ERRNOS.get(Math.abs(Integer.parseInt(errno.group(1))));
            if (known != null) {
                return known;
            }
        }
        String lower = message.toLowerCase(Locale.ROOT);
        for (String[] p : PHRASES) {
            if (lower.contains(p[0])) {
                return p[1];
            }
        }
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip().replace('"', '\'');
    }
}
