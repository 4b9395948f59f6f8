package dev.weir.proxy.config;

import static dev.weir.proxy.config.NodeReader.index;
import static dev.weir.proxy.config.NodeReader.quote;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.nodes.Node;

/** Addresses and address blocks read from nodes, checked without DNS; a bad one is reported and reads as null. */
final class Addresses {

    private static final String ADDRESS_EXPECTED = "host:port or [v6]:port";
    private static final String IP_ADDRESS_EXPECTED = "ip:port like 10.0.0.2:53 or [fd00::2]:53, not a host name";
    private static final String CIDR_EXPECTED = "a CIDR like 10.0.0.0/8 or fd00::/8";
    private static final String CIDR_LIST_EXPECTED = "a list of CIDRs like [10.0.0.0/8, fd00::/8]";

    private Addresses() {
    }

    /** A required address; the port must be at least {@code minPort} (0 lets a listener pick a free port). */
    static HostPort address(NodeReader in, String path, Node node, int minPort) {
        String text = in.text(path, node, ADDRESS_EXPECTED);
        return text == null ? null : address(in, path, text, minPort, ADDRESS_EXPECTED);
    }

    /** An address already read as text; {@code expected} names what else the key accepts, if anything. */
    static HostPort address(NodeReader in, String path, String text, int minPort, String expected) {
        HostPort address;
        try {
            address = HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            in.error(path, quote(text), expected + ": " + e.getMessage());
            return null;
        }
        // HostPort.parse checks the shape only; refuse hosts that could never resolve (spaces, slashes, schemes).
        if (!hostLike(address.host())) {
            in.error(path, quote(text), expected + ": \"" + address.host() + "\" is not a host name or IP address");
            return null;
        }
        if (address.port() < minPort) {
            in.error(path, text, "a port in " + minPort + "..65535");
            return null;
        }
        return address;
    }

    /**
     * A name of A-Z a-z 0-9 . _ -, or (with a colon) hex digits, colons and dots with an optional %scope of name
     * characters. Loops rather than regular expressions, for a file of tens of thousands of addresses.
     */
    private static boolean hostLike(String host) {
        if (host.indexOf(':') < 0) {
            return Parsers.isName(host);
        }
        int scope = host.indexOf('%');
        int end = scope < 0 ? host.length() : scope;
        for (int i = 0; i < end; i++) {
            char c = host.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.')) {
                return false;
            }
        }
        return end > 0 && (scope < 0 || Parsers.isName(host.substring(scope + 1)));
    }

    /** A required IP literal with a port: for servers asked before any name can be resolved (DNS resolvers). */
    static HostPort ipAddress(NodeReader in, String path, Node node) {
        String text = in.text(path, node, IP_ADDRESS_EXPECTED);
        if (text == null) {
            return null;
        }
        HostPort address;
        try {
            address = HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            in.error(path, quote(text), IP_ADDRESS_EXPECTED);
            return null;
        }
        if (!isIpLiteral(address.host())) {
            in.error(path, quote(text), IP_ADDRESS_EXPECTED);
            return null;
        }
        if (address.port() < 1) {
            in.error(path, text, "a port in 1..65535");
            return null;
        }
        return address;
    }

    /** An address block ({@code 10.0.0.0/8}, {@code fd00::/8}, or a bare IP); null, reported, otherwise. */
    static Cidr cidr(NodeReader in, String path, Node node) {
        String text = in.text(path, node, CIDR_EXPECTED);
        if (text == null) {
            return null;
        }
        try {
            return Cidr.parse(text);
        } catch (IllegalArgumentException e) {
            in.error(path, quote(text), CIDR_EXPECTED + ": " + e.getMessage());
            return null;
        }
    }

    /**
     * A list of address blocks; absent or null reads as empty. Each item is checked even after a bad one; null,
     * reported, when any is bad.
     */
    static List<Cidr> cidrs(NodeReader in, String path, Node node) {
        if (NodeReader.isNull(node)) {
            return List.of();
        }
        List<Node> items = in.list(path, node, CIDR_LIST_EXPECTED);
        if (items == null) {
            return null;
        }
        List<Cidr> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            out.add(cidr(in, index(path, i), items.get(i)));
        }
        return out.contains(null) ? null : out;
    }

    /** An IPv4 or IPv6 literal (a scope as in fe80::1%eth0 allowed): known without asking DNS. */
    static boolean isIpLiteral(String host) {
        return NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host);
    }

    /**
     * 127.0.0.0/8, ::1 (in any spelling, or v4-mapped) and the name {@code localhost}: reachable from this host only.
     * Decided without DNS, so any other name counts as not loopback.
     */
    static boolean isLoopback(String host) {
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!isIpLiteral(host)) {
            return false;
        }
        int scope = host.indexOf('%');
        InetAddress ip = NetUtil.createInetAddressFromIpAddressString(scope < 0 ? host : host.substring(0, scope));
        return ip != null && ip.isLoopbackAddress();
    }

    /**
     * Four decimal numbers of 0..255 without leading zeros: what the JDK reads as an IPv4 address whatever its
     * version (an ambiguous spelling such as 010.0.0.1 is left to it).
     */
    static boolean isDottedQuad(String host) {
        int parts = 0;
        int i = 0;
        while (i <= host.length()) {
            int start = i;
            int value = 0;
            while (i < host.length() && host.charAt(i) >= '0' && host.charAt(i) <= '9' && i - start < 3) {
                value = value * 10 + host.charAt(i) - '0';
                i++;
            }
            int digits = i - start;
            if (digits == 0 || value > 255 || digits > 1 && host.charAt(start) == '0') {
                return false;
            }
            parts++;
            if (i == host.length()) {
                return parts == 4;
            }
            if (host.charAt(i) != '.' || parts == 4) {
                return false;
            }
            i++;
        }
        return false;
    }
}
