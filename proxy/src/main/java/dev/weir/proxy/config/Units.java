package dev.weir.proxy.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The units written in the config: durations ({@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}, or a sum such as
 * {@code 1h30m}) and byte sizes ({@code 65536}, {@code 32KiB}, {@code 1MiB}). Parsed once at load, never per
 * connection.
 */
public final class Units {

    static final String DURATION_EXPECTED = "a duration like 250ms, 5s, 2m, 1h";
    static final String SIZE_EXPECTED = "a size like 65536, 32KiB, 1MiB";

    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long GIB = 1024 * MIB;

    // "ms" before "m" so that 250ms is not read as 250m followed by a stray s.
    private static final Pattern DURATION_PART = Pattern.compile("(\\d{1,18})(ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("(\\d{1,18})(KiB|MiB|GiB)?");

    private Units() {
    }

    /** Parses a duration; throws IllegalArgumentException for anything else (no sign, no spaces, no bare number). */
    static Duration parseDuration(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty duration");
        }
        Matcher m = DURATION_PART.matcher(text);
        Duration total = Duration.ZERO;
        int at = 0;
        try {
            while (at < text.length()) {
                m.region(at, text.length());
                if (!m.lookingAt()) {
                    throw new IllegalArgumentException("not a duration: " + text);
                }
                long n = Long.parseLong(m.group(1));
                Duration part = switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofHours(n);
                };
                total = total.plus(part);
                at = m.end();
            }
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("duration too large: " + text);
        }
        return total;
    }

    /** Parses a byte size: plain bytes or a binary unit (KiB, MiB, GiB); throws IllegalArgumentException otherwise. */
    static long parseSize(String text) {
        Matcher m = text == null ? null : SIZE.matcher(text);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("not a size: " + text);
        }
        long n = Long.parseLong(m.group(1));
        long unit = m.group(2) == null ? 1 : switch (m.group(2)) {
            case "KiB" -> KIB;
            case "MiB" -> MIB;
            default -> GIB;
        };
        try {
            return Math.multiplyExact(n, unit);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("size too large: " + text);
        }
    }

    /** Writes a duration the way the config does: 2s, 1m30s, 250ms (so that it can be pasted back). */
    public static String formatDuration(Duration duration) {
        if (duration.isZero()) {
            return "0s";
        }
        StringBuilder out = new StringBuilder();
        appendPart(out, duration.toHours(), "h");
        appendPart(out, duration.toMinutesPart(), "m");
        appendPart(out, duration.toSecondsPart(), "s");
        appendPart(out, duration.toMillisPart(), "ms");
        return out.toString();
    }

    /** Writes a duration below a second as the config takes it for event-loop-spin: 20us, 1ms, 0s. */
    public static String formatMicroseconds(Duration duration) {
        long micros = duration.toNanos() / 1000;
        return micros == 0 ? "0s" : micros % 1000 == 0 ? micros / 1000 + "ms" : micros + "us";
    }

    private static void appendPart(StringBuilder out, long n, String unit) {
        if (n > 0) {
            out.append(n).append(unit);
        }
    }

    /** Writes a size the way a person would in the config: 32KiB rather than 32768. */
    public static String formatSize(long bytes) {
        if (bytes > 0 && bytes % GIB == 0) {
            return bytes / GIB + "GiB";
        }
        if (bytes > 0 && bytes % MIB == 0) {
            return bytes / MIB + "MiB";
        }
        if (bytes > 0 && bytes % KIB == 0) {
            return bytes / KIB + "KiB";
        }
        return Long.toString(bytes);
    }
}
