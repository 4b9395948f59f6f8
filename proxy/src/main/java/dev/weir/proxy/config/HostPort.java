package dev.weir.proxy.config;

import java.net.InetSocketAddress;

/**
 * An address as written in the config: {@code host:port} or {@code [v6]:port}. Not resolved here;
 * resolution happens once, off the event loops, when the proxy starts.
 */
public record HostPort(String host, int port) {

    /** Parses {@code host:port} / {@code [v6]:port}; throws IllegalArgumentException with the reason. */
    public static HostPort parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty address");
        }
        String host;
        String portText;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("IPv6 addresses are written [addr]:port");
            }
            host = text.substring(1, close);
            portText = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("missing :port");
            }
            host = text.substring(0, colon);
            portText = text.substring(colon + 1);
            if (host.contains(":")) {
                throw new IllegalArgumentException("IPv6 addresses are written [addr]:port");
            }
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("missing host");
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port \"" + portText + "\" is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " out of range 0..65535");
        }
        return new HostPort(host, port);
    }

    /** Resolves the host (may block on DNS: call only off the event loops). */
    public InetSocketAddress resolve() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
