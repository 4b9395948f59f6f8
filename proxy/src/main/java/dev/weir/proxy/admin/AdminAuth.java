package dev.weir.proxy.admin;

import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.NetUtil;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Who may change state through the admin API. A state change needs {@code Authorization: Bearer
 * <token>} when a token is configured; with none it is allowed only on a loopback bind, and only
 * for a {@code Host} that is {@code localhost} or an IP literal (a page on another site that
 * rebinds its DNS name to 127.0.0.1 cannot drive it). A browser request from another origin is
 * refused either way.
 */
final class AdminAuth {

    private final byte[] tokenHash; // null: no token configured
    private final boolean loopbackBind;
    private final List<String> allowedHosts;

    AdminAuth(String token, boolean loopbackBind) {
        this(token, loopbackBind, List.of());
    }

    /** @param allowedHosts host names (lower-case) a request may name besides localhost and IP literals */
    AdminAuth(String token, boolean loopbackBind, List<String> allowedHosts) {
        this.tokenHash = token == null || token.isEmpty() ? null : sha256(token);
        this.loopbackBind = loopbackBind;
        this.allowedHosts = List.copyOf(allowedHosts);
    }

    /**
     * Every request, reads too: its {@code Host} must be localhost, an IP literal or one of {@code admin.allowed-hosts},
     * so that a web page whose DNS name an attacker rebinds to Weir's address cannot read the API (the browser sends
     * the page's own name). A request without a Host header (HTTP/1.0 tools) is not a browser's.
     */
    void checkHost(FullHttpRequest request) throws ApiException {
        String host = request.headers().get(HttpHeaderNames.HOST);
        if (host == null || localHost(host) || allowedHosts.contains(withoutPort(host))) {
            return;
        }
        throw new ApiException(HttpResponseStatus.FORBIDDEN, "forbidden", "Host: \"" + AdminHandler.printable(host)
                + "\" (expected: localhost, an IP address or a name in admin.allowed-hosts)");
    }

    private static String withoutPort(String hostHeader) {
        String h = hostHeader.trim();
        int colon = h.lastIndexOf(':');
        return (colon >= 0 && !h.startsWith("[") ? h.substring(0, colon) : h).toLowerCase(Locale.ROOT);
    }

    boolean tokenRequired() {
        return tokenHash != null;
    }

    boolean changesAllowed() {
        return tokenHash != null || loopbackBind;
    }

    void authorize(FullHttpRequest request) throws ApiException {
        String host = request.headers().get(HttpHeaderNames.HOST);
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && !sameOrigin(origin, host)) {
            throw new ApiException(HttpResponseStatus.FORBIDDEN, "forbidden",
                    "cross-origin request from " + AdminHandler.printable(origin)
                            + " (expected: the admin page's own origin)");
        }
        if (tokenHash == null) {
            if (!loopbackBind) {
                throw new ApiException(HttpResponseStatus.FORBIDDEN, "forbidden",
                        "state changes need admin.token when admin.bind is not a loopback address");
            }
            if (host != null && !localHost(host)) {
                throw new ApiException(HttpResponseStatus.FORBIDDEN, "forbidden", "Host: \"" + AdminHandler.printable(host)
                        + "\" (expected: localhost or an IP address, or set admin.token)");
            }
            return;
        }
        String auth = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        Map<String, String> challenge = Map.of(HttpHeaderNames.WWW_AUTHENTICATE.toString(), "Bearer realm=\"weir-admin\"");
        if (auth == null || auth.length() < 7 || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ApiException(HttpResponseStatus.UNAUTHORIZED, "unauthorized",
                    "Authorization: " + (auth == null ? "missing" : "not a bearer token") + " (expected: Bearer <admin.token>)",
                    challenge);
        }
        // Digests of equal length, compared in constant time: neither the token nor its length leaks.
        if (!MessageDigest.isEqual(sha256(auth.substring(7).trim()), tokenHash)) {
            throw new ApiException(HttpResponseStatus.UNAUTHORIZED, "unauthorized", "Authorization: wrong token", challenge);
        }
    }

    private static boolean sameOrigin(String origin, String host) {
        if (host == null) {
            return false;
        }
        try {
            String authority = new URI(origin).getRawAuthority();
            return authority != null && authority.equalsIgnoreCase(host);
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** {@code localhost}, {@code *.localhost} or an IP literal, with or without a port. */
    static boolean localHost(String hostHeader) {
        String h = hostHeader.trim();
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            return close > 0 && NetUtil.isValidIpV6Address(h.substring(1, close));
        }
        int colon = h.lastIndexOf(':');
        if (colon >= 0) {
            h = h.substring(0, colon);
        }
        h = h.toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.endsWith(".localhost") || NetUtil.isValidIpV4Address(h);
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
