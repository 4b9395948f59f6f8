package dev.weir.proxy.config;

import static dev.weir.proxy.config.NodeReader.quote;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Typed scalars (integers, durations, sizes, booleans, percentages, bytes, choices) read from present nodes, each
 * checked against its range. A bad value is reported and reads as null.
 *
 * <p>Values are shown quoted when they could not be read as the expected type ({@code "lots"}) and as written
 * when they were read but are out of range ({@code 0}, {@code 0s}).
 */
final class Scalars {

    private static final String PERCENT_EXPECTED = "a percentage like 10%";
    private static final String HEX_EXPECTED = "hex digits in pairs after hex:";
    private static final String HEX_PREFIX = "hex:";

    private static final Pattern INTEGER = Pattern.compile("[-+]?\\d+");
    private static final Pattern MICROSECONDS = Pattern.compile("(\\d{1,9})us");
    private static final Pattern PERCENT = Pattern.compile("(\\d{1,3}(?:\\.\\d{1,2})?)%");

    private Scalars() {
    }

    /** An integer in min..max; quoted text in YAML ("10") is accepted so that ${VAR} works for numbers too. */
    static Integer integer(NodeReader in, String path, Node node, int min, int max) {
        String text = in.text(path, node, "an integer");
        if (text == null) {
            return null;
        }
        if (!INTEGER.matcher(text).matches()) {
            in.error(path, quote(text), "an integer");
            return null;
        }
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            value = text.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        if (value < min || value > max) {
            in.error(path, text, max != Integer.MAX_VALUE ? min + ".." + max
                    : value < min ? ">= " + min : "<= " + max);
            return null;
        }
        return (int) value;
    }

    /** Like {@link #integer}, for a value without a default: absent or null is reported as missing. */
    static Integer requiredInteger(NodeReader in, String path, Node node, int min, int max, String expected) {
        if (NodeReader.isNull(node)) {
            in.error(path, "missing", expected);
            return null;
        }
        return integer(in, path, node, min, max);
    }

    /** A duration; {@code zeroAllowed} is false where 0 would make no sense (a timeout that fires at once). */
    static Duration duration(NodeReader in, String path, Node node, boolean zeroAllowed) {
        String text = in.text(path, node, Units.DURATION_EXPECTED);
        Duration value = text == null ? null : parseDuration(in, path, text);
        if (value == null) {
            return null;
        }
        if (!zeroAllowed && value.isZero()) {
            in.error(path, text, "> 0");
            return null;
        }
        return value;
    }

    /**
     * A duration in {@code min..max} (null max: no upper bound). {@code wholeSeconds} for values handed to the kernel
     * in seconds (TCP keep-alive), where 1500ms would be silently cut to 1s.
     */
    static Duration duration(NodeReader in, String path, Node node, Duration min, Duration max, boolean wholeSeconds) {
        String text = in.text(path, node, Units.DURATION_EXPECTED);
        Duration value = text == null ? null : parseDuration(in, path, text);
        if (value == null) {
            return null;
        }
        if (wholeSeconds && value.toMillisPart() != 0) {
            in.error(path, text, "whole seconds");
            return null;
        }
        if (value.compareTo(min) < 0 || (max != null && value.compareTo(max) > 0)) {
            in.error(path, text, max == null ? ">= " + Units.formatDuration(min)
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
    static Duration microseconds(NodeReader in, String path, Node node, Duration max) {
        String expected = "a duration like 20us, 1ms or 0s";
        String text = in.text(path, node, expected);
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
                in.error(path, quote(text), expected);
                return null;
            }
        }
        if (value.compareTo(max) > 0) {
            in.error(path, text, "0s.." + Units.formatDuration(max));
            return null;
        }
        return value;
    }

    private static Duration parseDuration(NodeReader in, String path, String text) {
        try {
            return Units.parseDuration(text);
        } catch (IllegalArgumentException e) {
            in.error(path, quote(text), Units.DURATION_EXPECTED);
            return null;
        }
    }

    /** A byte size in {@code min..max}, both shown as the config writes sizes (512..64KiB); ints for Netty. */
    static Integer size(NodeReader in, String path, Node node, int min, int max) {
        String text = in.text(path, node, Units.SIZE_EXPECTED);
        if (text == null) {
            return null;
        }
        long value;
        try {
            value = Units.parseSize(text);
        } catch (IllegalArgumentException e) {
            in.error(path, quote(text), Units.SIZE_EXPECTED);
            return null;
        }
        if (value > Integer.MAX_VALUE) {
            in.error(path, text, "< 2GiB");
            return null;
        }
        if (value < min || value > max) {
            in.error(path, text, Units.formatSize(min) + ".." + Units.formatSize(max));
            return null;
        }
        return (int) value;
    }

    /** {@code true} or {@code false} only: YAML 1.1's yes/no/on/off are refused rather than guessed at. */
    static Boolean bool(NodeReader in, String path, Node node) {
        String text = in.text(path, node, "true or false");
        if (text == null) {
            return null;
        }
        return switch (text) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> {
                in.error(path, quote(text), "true or false");
                yield null;
            }
        };
    }

    /** A percentage ({@code 10%}, {@code 12.5%}) in 0%..{@code maxPercent}%, returned as a fraction (0.10). */
    static Double fraction(NodeReader in, String path, Node node, int maxPercent) {
        String text = in.text(path, node, PERCENT_EXPECTED);
        if (text == null) {
            return null;
        }
        Matcher m = PERCENT.matcher(text);
        if (!m.matches()) {
            in.error(path, quote(text), PERCENT_EXPECTED);
            return null;
        }
        BigDecimal percent = new BigDecimal(m.group(1));
        if (percent.compareTo(BigDecimal.valueOf(maxPercent)) > 0) {
            in.error(path, text, "0%.." + maxPercent + "%");
            return null;
        }
        // Through BigDecimal so that 10% is exactly the double 0.1, as a test or a reader would write it.
        return percent.movePointLeft(2).doubleValue();
    }

    /**
     * Required bytes: text as UTF-8 (after YAML's own escapes, so {@code "PING\r\n"} in double quotes ends in CR LF),
     * or {@code hex:} followed by pairs of hex digits for anything else.
     */
    static Bytes bytes(NodeReader in, String path, Node node, String expected) {
        String text = in.text(path, node, expected);
        if (text == null) {
            return null;
        }
        if (!text.startsWith(HEX_PREFIX)) {
            return Bytes.utf8(text);
        }
        try {
            return new Bytes(HexFormat.of().parseHex(text, HEX_PREFIX.length(), text.length()));
        } catch (IllegalArgumentException e) {
            in.error(path, quote(text), HEX_EXPECTED);
            return null;
        }
    }

    /** One of a fixed set of spellings, listed in the error in the order of {@code choices}. */
    static <E> E oneOf(NodeReader in, String path, Node node, Map<String, E> choices) {
        String expected = "one of " + String.join(", ", choices.keySet());
        String text = in.text(path, node, expected);
        if (text == null) {
            return null;
        }
        E value = choices.get(text);
        if (value == null) {
            in.error(path, quote(text), expected);
        }
        return value;
    }
}
