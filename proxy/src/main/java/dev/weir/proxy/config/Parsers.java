package dev.weir.proxy.config;

import static dev.weir.proxy.config.NodeReader.quote;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** The parsers keys are declared with: a type and its range, and how a default of it is written. */
final class Parsers {

    private static final String POOL_NAME_EXPECTED = "a pool name";
    static final String NAME_EXPECTED = "a name made of A-Z a-z 0-9 . _ -";

    private Parsers() {
    }

    /**
     * What listener, pool and backend names are made of: A-Z a-z 0-9 . _ -, at least one. A loop rather than a
     * regular expression, for a file of tens of thousands of names.
     */
    static boolean isName(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (!isNameChar(text.charAt(i))) {
                return false;
            }
        }
        return !text.isEmpty();
    }

    static boolean isNameChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_'
                || c == '-';
    }

    static Parser<Integer> integer(int min, int max) {
        return (in, path, node) -> Scalars.integer(in, path, node, min, max);
    }

    /** Absent or null is reported as missing, with {@code expected}. */
    static Parser<Integer> requiredInteger(int min, int max, String expected) {
        return (in, path, node) -> Scalars.requiredInteger(in, path, node, min, max, expected);
    }

    /** {@code zeroAllowed} is false where 0 would make no sense (a timeout that fires at once). */
    static Parser<Duration> duration(boolean zeroAllowed) {
        return Parser.of((in, path, node) -> Scalars.duration(in, path, node, zeroAllowed), Units::formatDuration);
    }

    /** In {@code min..max} (null max: none); {@code wholeSeconds} for values the kernel takes in seconds. */
    static Parser<Duration> duration(Duration min, Duration max, boolean wholeSeconds) {
        return Parser.of((in, path, node) -> Scalars.duration(in, path, node, min, max, wholeSeconds),
                Units::formatDuration);
    }

    /** In {@code 0..max}, microseconds allowed ({@code 20us}). */
    static Parser<Duration> microseconds(Duration max) {
        return Parser.of((in, path, node) -> Scalars.microseconds(in, path, node, max), Units::formatMicroseconds);
    }

    /** A byte size that fits in an int (Netty's watermarks are ints). */
    static Parser<Integer> size() {
        return size(0, Integer.MAX_VALUE);
    }

    static Parser<Integer> size(int min, int max) {
        return Parser.of((in, path, node) -> Scalars.size(in, path, node, min, max), size -> Units.formatSize(size));
    }

    static Parser<Boolean> bool() {
        return Scalars::bool;
    }

    /** For a boolean without a default: absent or null is reported as missing, with {@code expected}. */
    static Parser<Boolean> requiredBool(String expected) {
        return (in, path, node) -> {
            if (NodeReader.isNull(node)) {
                in.error(path, "missing", expected);
                return null;
            }
            return Scalars.bool(in, path, node);
        };
    }

    /** A percentage in 0%..{@code maxPercent}%, read as a fraction. */
    static Parser<Double> fraction(int maxPercent) {
        return Parser.of((in, path, node) -> Scalars.fraction(in, path, node, maxPercent),
                value -> BigDecimal.valueOf(value).movePointRight(2).stripTrailingZeros().toPlainString() + "%");
    }

    static Parser<Bytes> bytes(String expected) {
        return (in, path, node) -> Scalars.bytes(in, path, node, expected);
    }

    /** One of {@code values}, as {@code spelling} writes them, listed in that order in the error. */
    static <E> Parser<E> oneOf(E[] values, Function<E, String> spelling) {
        Map<String, E> choices = new LinkedHashMap<>();
        for (E value : values) {
            choices.put(spelling.apply(value), value);
        }
        return Parser.of((in, path, node) -> Scalars.oneOf(in, path, node, choices), spelling);
    }

    /** A name as {@link #isName} allows. */
    static Parser<String> name() {
        return (in, path, node) -> {
            String text = in.text(path, node, NAME_EXPECTED);
            if (text != null && !isName(text)) {
                in.error(path, quote(text), NAME_EXPECTED);
                return null;
            }
            return text;
        };
    }

    /** A pool's name, noted so that it can be checked once every pool is known. */
    static Parser<String> poolName() {
        return (in, path, node) -> {
            String pool = in.text(path, node, POOL_NAME_EXPECTED);
            if (pool != null) {
                in.referToPool(path, pool);
            }
            return pool;
        };
    }

    /** The port must be at least {@code minPort} (0 lets a listener pick a free port). */
    static Parser<HostPort> address(int minPort) {
        return (in, path, node) -> Addresses.address(in, path, node, minPort);
    }

    /** Absent or null reads as none. */
    static Parser<List<Cidr>> cidrs() {
        return Parser.of(Addresses::cidrs, Parsers::formatList);
    }

    /** Text as a config writes it: {@code ""} when empty. */
    static String formatText(String text) {
        return text.isEmpty() ? "\"\"" : text;
    }

    static String formatList(List<?> items) {
        return items.toString();
    }
}
