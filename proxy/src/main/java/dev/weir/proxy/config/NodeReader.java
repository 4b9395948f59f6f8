package dev.weir.proxy.config;

import io.netty.util.NetUtil;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads typed values out of composed YAML nodes and records each problem as {@code path: value (expected: ...)},
 * so that one pass reports all of them. An absent optional value reads as its default; a bad one is reported and
 * reads as null, and the caller carries on to find the next problem.
 *
 * <p>Values are shown quoted when they could not be read as the expected type ({@code "lots"}) and as written
 * when they were read but are out of range ({@code 0}, {@code 0s}).
 */
final class NodeReader {

    static final String ADDRESS_EXPECTED = "host:port or [v6]:port";
    static final String IP_ADDRESS_EXPECTED = "ip:port like 10.0.0.2:53 or [fd00::2]:53, not a host name";
    static final String PERCENT_EXPECTED = "a percentage like 10%";
    static final String HEX_EXPECTED = "hex digits in pairs after hex:";
    static final String HEX_PREFIX = "hex:";
    static final String CIDR_EXPECTED = "a CIDR like 10.0.0.0/8 or fd00::/8";
    static final String CIDR_LIST_EXPECTED = "a list of CIDRs like [10.0.0.0/8, fd00::/8]";
    /** Shown in place of a secret's value, in errors as in toString. */
    static final String MASK = "****";

    // Tags a plain config may carry; anything else (!foo, !!binary, !!set) is refused before its value is read.
    private static final Set<Tag> PLAIN_TAGS =
            Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.NULL, Tag.TIMESTAMP, Tag.MAP, Tag.SEQ);
    private static final Pattern INTEGER = Pattern.compile("[-+]?\\d+");
    private static final Pattern MICROSECONDS = Pattern.compile("(\\d{1,9})us");
    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?");
    private static final Pattern PERCENT = Pattern.compile("(\\d{1,3}(?:\\.\\d{1,2})?)%");

    private final Map<String, String> env;
    private final List<String> errors = new ArrayList<>();

    NodeReader(Map<String, String> env) {
        this.env = env;
    }

    List<String> errors() {
        return errors;
    }

    /** The number of errors so far: a section is valid when {@link #cleanSince} its mark. */
    int mark() {
        return errors.size();
    }

    boolean cleanSince(int mark) {
        return errors.size() == mark;
    }

    void error(String path, String value, String expected) {
        errors.add((path.isEmpty() ? "(top level)" : path) + ": " + value + " (expected: " + expected + ")");
    }

    static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** The path of a key that is data rather than a name, and may hold dots: {@code routes."api.example.com"}. */
    static String quotedChild(String path, String key) {
        return path + "." + quote(key);
    }

    static String index(String path, int i) {
        return path + "[" + i + "]";
    }

    /** True for an absent value or an explicit null ({@code key:} with nothing after it, or {@code ~}). */
    static boolean isNull(Node node) {
        return node == null || (node instanceof ScalarNode && node.getTag().equals(Tag.NULL));
    }

    /**
     * The entries of a mapping in file order. Null reads as empty (a section whose children are all commented out);
     * returns null, reported, when the node is not a mapping. Duplicate keys are reported and the first one kept.
     */
    Map<String, Node> entries(String path, Node node, String expected) {
        return entries(path, node, expected, false);
    }

    /** {@code quoteKeys} for maps keyed by data such as server names: {@code routes."api.example.com"}. */
    Map<String, Node> entries(String path, Node node, String expected, boolean quoteKeys) {
        Map<String, Node> out = new LinkedHashMap<>();
        if (isNull(node)) {
            return out;
        }
        if (!plainTag(path, node)) {
            return null;
        }
        if (!(node instanceof MappingNode mapping)) {
            error(path, describe(node), expected);
            return null;
        }
        for (NodeTuple tuple : mapping.getValue()) {
            Node keyNode = tuple.getKeyNode();
            if (!(keyNode instanceof ScalarNode scalarKey) || !PLAIN_TAGS.contains(keyNode.getTag())) {
                error(path, describe(keyNode) + " as a key", "plain names as keys");
                continue;
            }
            String key = scalarKey.getValue();
            if (out.containsKey(key)) {
                error(quoteKeys ? quotedChild(path, key) : child(path, key), "duplicate key", "each key once");
                continue;
            }
            out.put(key, tuple.getValueNode());
        }
        return out;
    }

    /**
     * Like {@link #entries}, for a mapping with a fixed set of keys: others are reported, with the closest known key.
     * Null when the node is not a mapping, so the caller does not report each of its keys missing as well.
     */
    Map<String, Node> fields(String path, Node node, String expected, List<String> known) {
        Map<String, Node> entries = entries(path, node, expected);
        if (entries == null) {
            return null;
        }
        for (Iterator<String> keys = entries.keySet().iterator(); keys.hasNext(); ) {
            String key = keys.next();
            if (!known.contains(key)) {
                String close = Suggestions.closest(key, known);
                String hint = close != null ? "did you mean " + close + "?"
                        : "expected: one of " + String.join(", ", known);
                errors.add(child(path, key) + ": unknown key (" + hint + ")");
                keys.remove();
            }
        }
        return entries;
    }

    /** The items of a sequence; null, reported, when the node is something else. */
    List<Node> list(String path, Node node, String expected) {
        if (isNull(node)) {
            error(path, "missing", expected);
            return null;
        }
        if (!plainTag(path, node)) {
            return null;
        }
        if (!(node instanceof SequenceNode sequence)) {
            error(path, describe(node), expected);
            return null;
        }
        return sequence.getValue();
    }

    /** A required scalar's text with {@code ${VAR}} references substituted; null, reported, when unusable. */
    String text(String path, Node node, String expected) {
        return text(path, node, expected, false);
    }

    /** Like {@link #text}, for a secret: no error shows its value, not even as written before substitution. */
    String secret(String path, Node node, String expected) {
        return text(path, node, expected, true);
    }

    private String text(String path, Node node, String expected, boolean secret) {
        if (isNull(node)) {
            error(path, "missing", expected);
            return null;
        }
        if (!plainTag(path, node)) {
            return null;
        }
        if (!(node instanceof ScalarNode scalar)) {
            error(path, describe(node), expected);
            return null;
        }
        try {
            return EnvSubstitution.apply(scalar.getValue(), env);
        } catch (IllegalArgumentException e) {
            error(path, secret ? MASK : quote(scalar.getValue()), e.getMessage());
            return null;
        }
    }

    /** An integer in min..max; quoted text in YAML ("10") is accepted so that ${VAR} works for numbers too. */
    Integer integer(String path, Node node, int min, int max, int fallback) {
        if (node == null) {
            return fallback;
        }
        String text = text(path, node, "an integer");
        if (text == null) {
            return null;
        }
        if (!INTEGER.matcher(text).matches()) {
            error(path, quote(text), "an integer");
            return null;
        }
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            value = text.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        if (value < min || value > max) {
            error(path, text, max != Integer.MAX_VALUE ? min + ".." + max
                    : value < min ? ">= " + min : "<= " + max);
            return null;
        }
        return (int) value;
    }

    /** A duration; {@code zeroAllowed} is false where 0 would make no sense (a timeout that fires at once). */
    Duration duration(String path, Node node, boolean zeroAllowed, Duration fallback) {
        if (node == null) {
            return fallback;
        }
        String text = text(path, node, Units.DURATION_EXPECTED);
        Duration value = text == null ? null : parseDuration(path, text);
        if (value == null) {
            return null;
        }
        if (!zeroAllowed && value.isZero()) {
            error(path, text, "> 0");
            return null;
        }
        return value;
    }

    /**
     * A duration in {@code min..max} (null max: no upper bound). {@code wholeSeconds} for values handed to the kernel
     * in seconds (TCP keep-alive), where 1500ms would be silently cut to 1s.
     */
    Duration duration(String path, Node node, Duration min, Duration max, boolean wholeSeconds, Duration fallback) {
        if (node == null) {
            return fallback;
        }
        String text = text(path, node, Units.DURATION_EXPECTED);
        Duration value = text == null ? null : parseDuration(path, text);
        if (value == null) {
            return null;
        }
        if (wholeSeconds && value.toMillisPart() != 0) {
            error(path, text, "whole seconds");
            return null;
        }
        if (value.compareTo(min) < 0 || (max != null && value.compareTo(max) > 0)) {
            error(path, text, max == null ? ">= " + Units.formatDuration(min)
                    : Units.formatDuration(min) + ".." + Units.formatDuration(max));
            return null;
        }
        return value;
    }

    /**
     * A short duration in {@code 0..max}: microseconds ({@code 20us}) besides the usual units. Only where a value
     * below a millisecond means something; a timeout of {@code 500us} would be cut to 0 ms (no timeout) by the
     * APIs that take it, so the other durations do not accept microseconds.
     */
    Duration microseconds(String path, Node node, Duration max, Duration fallback) {
        if (node == null) {
            return fallback;
        }
        String expected = "a duration like 20us, 1ms or 0s";
        String text = text(path, node, expected);
        if (text == null) {
            return null;
        }
        Duration value;
        Matcher us = MICROSECONDS.matcher(text);
        if (us.matches()) {
            value = Duration.ofNanos(Long.parseLong(us.group(1)) * 1000);
        } else {
            try {
                value = Units.parseDuration(text);
            } catch (IllegalArgumentException e) {
                error(path, quote(text), expected);
                return null;
            }
        }
        if (value.compareTo(max) > 0) {
            error(path, text, "0s.." + Units.formatDuration(max));
            return null;
        }
        return value;
    }

    private Duration parseDuration(String path, String text) {
        try {
            return Units.parseDuration(text);
        } catch (IllegalArgumentException e) {
            error(path, quote(text), Units.DURATION_EXPECTED);
            return null;
        }
    }

    /** A byte size that fits in an int (Netty's watermarks are ints). */
    Integer size(String path, Node node, int fallback) {
        return size(path, node, 0, Integer.MAX_VALUE, fallback);
    }

    /** A byte size in {@code min..max}, both shown as the config writes sizes (512..64KiB). */
    Integer size(String path, Node node, int min, int max, int fallback) {
        if (node == null) {
            return fallback;
        }
        String text = text(path, node, Units.SIZE_EXPECTED);
        if (text == null) {
            return null;
        }
        long value;
        try {
            value = Units.parseSize(text);
        } catch (IllegalArgumentException e) {
            error(path, quote(text), Units.SIZE_EXPECTED);
            return null;
        }
        if (value > Integer.MAX_VALUE) {
            error(path, text, "< 2GiB");
            return null;
        }
        if (value < min || value > max) {
            error(path, text, Units.formatSize(min) + ".." + Units.formatSize(max));
            return null;
        }
        return (int) value;
    }

    /** An address block ({@code 10.0.0.0/8}, {@code fd00::/8}, or a bare IP); null, reported, otherwise. */
    Cidr cidr(String path, Node node) {
        String text = text(path, node, CIDR_EXPECTED);
        if (text == null) {
            return null;
        }
        try {
            return Cidr.parse(text);
        } catch (IllegalArgumentException e) {
            error(path, quote(text), CIDR_EXPECTED + ": " + e.getMessage());
            return null;
        }
    }

    /**
     * A list of address blocks; absent or null reads as empty. Each item is checked even after a bad one; null,
     * reported, when any is bad.
     */
    List<Cidr> cidrs(String path, Node node) {
        if (isNull(node)) {
            return List.of();
        }
        List<Node> items = list(path, node, CIDR_LIST_EXPECTED);
        if (items == null) {
            return null;
        }
        List<Cidr> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            out.add(cidr(index(path, i), items.get(i)));
        }
        return out.contains(null) ? null : out;
    }

    /** Like {@link #integer}, for a value without a default: absent or null is reported as missing. */
    Integer requiredInteger(String path, Node node, int min, int max, String expected) {
        if (isNull(node)) {
            error(path, "missing", expected);
            return null;
        }
        return integer(path, node, min, max, 0);
    }

    /** {@code true} or {@code false} only: YAML 1.1's yes/no/on/off are refused rather than guessed at. */
    Boolean bool(String path, Node node, boolean fallback) {
        if (node == null) {
            return fallback;
        }
        String text = text(path, node, "true or false");
        if (text == null) {
            return null;
        }
        return switch (text) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> {
                error(path, quote(text), "true or false");
                yield null;
            }
        };
    }

    /** A percentage ({@code 10%}, {@code 12.5%}) in 0%..{@code maxPercent}%, returned as a fraction (0.10). */
    Double fraction(String path, Node node, int maxPercent, double fallback) {
        if (node == null) {
            return fallback;
        }
        String text = text(path, node, PERCENT_EXPECTED);
        if (text == null) {
            return null;
        }
        Matcher m = PERCENT.matcher(text);
        if (!m.matches()) {
            error(path, quote(text), PERCENT_EXPECTED);
            return null;
        }
        BigDecimal percent = new BigDecimal(m.group(1));
        if (percent.compareTo(BigDecimal.valueOf(maxPercent)) > 0) {
            error(path, text, "0%.." + maxPercent + "%");
            return null;
        }
        // Through BigDecimal so that 10% is exactly the double 0.1, as a test or a reader would write it.
        return percent.movePointLeft(2).doubleValue();
    }

    /**
     * Required bytes: text as UTF-8 (after YAML's own escapes, so {@code "PING\r\n"} in double quotes ends in CR LF),
     * or {@code hex:} followed by pairs of hex digits for anything else.
     */
    Bytes bytes(String path, Node node, String expected) {
        String text = text(path, node, expected);
        if (text == null) {
            return null;
        }
        if (!text.startsWith(HEX_PREFIX)) {
            return Bytes.utf8(text);
        }
        try {
            return new Bytes(HexFormat.of().parseHex(text, HEX_PREFIX.length(), text.length()));
        } catch (IllegalArgumentException e) {
            error(path, quote(text), HEX_EXPECTED);
            return null;
        }
    }

    /** A required IP literal with a port: for servers asked before any name can be resolved (DNS resolvers). */
    HostPort ipAddress(String path, Node node) {
        String text = text(path, node, IP_ADDRESS_EXPECTED);
        if (text == null) {
            return null;
        }
        HostPort address;
        try {
            address = HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            error(path, quote(text), IP_ADDRESS_EXPECTED);
            return null;
        }
        if (!isIpLiteral(address.host())) {
            error(path, quote(text), IP_ADDRESS_EXPECTED);
            return null;
        }
        if (address.port() < 1) {
            error(path, text, "a port in 1..65535");
            return null;
        }
        return address;
    }

    /** One of a fixed set of spellings, listed in the error in the order of {@code choices}. */
    <E> E oneOf(String path, Node node, Map<String, E> choices, E fallback) {
        if (node == null) {
            return fallback;
        }
        String expected = "one of " + String.join(", ", choices.keySet());
        String text = text(path, node, expected);
        if (text == null) {
            return null;
        }
        E value = choices.get(text);
        if (value == null) {
            error(path, quote(text), expected);
        }
        return value;
    }

    /** A required address; the port must be at least {@code minPort} (0 lets a listener pick a free port). */
    HostPort address(String path, Node node, int minPort) {
        String text = text(path, node, ADDRESS_EXPECTED);
        return text == null ? null : address(path, text, minPort, ADDRESS_EXPECTED);
    }

    /** An address already read as text; {@code expected} names what else the key accepts, if anything. */
    HostPort address(String path, String text, int minPort, String expected) {
        HostPort address;
        try {
            address = HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            error(path, quote(text), expected + ": " + e.getMessage());
            return null;
        }
        // HostPort.parse checks the shape only; refuse hosts that could never resolve (spaces, slashes, schemes).
        boolean v6 = address.host().indexOf(':') >= 0;
        if (!(v6 ? IPV6 : HOSTNAME).matcher(address.host()).matches()) {
            error(path, quote(text), expected + ": \"" + address.host() + "\" is not a host name or IP address");
            return null;
        }
        if (address.port() < minPort) {
            error(path, text, "a port in " + minPort + "..65535");
            return null;
        }
        return address;
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

    /** How a value is shown in an error: scalars quoted as written, collections by kind. */
    static String describe(Node node) {
        if (node instanceof ScalarNode scalar) {
            return quote(scalar.getValue());
        }
        return node instanceof MappingNode ? "a map" : "a list";
    }

    static String quote(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    private boolean plainTag(String path, Node node) {
        if (PLAIN_TAGS.contains(node.getTag())) {
            return true;
        }
        String tag = node.getTag().getValue().replace(Tag.PREFIX, "!!");
        error(path, "tag " + tag, "plain YAML values without tags");
        return false;
    }
}
