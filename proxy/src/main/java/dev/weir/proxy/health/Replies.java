package dev.weir.proxy.health;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Reading probe replies: byte search, the HTTP status line, and bytes shown in a cause. */
final class Replies {

    private Replies() {
    }

    /** Index of {@code needle} in {@code haystack[0, length)} starting at {@code from}, or -1. */
    static int indexOf(byte[] haystack, int length, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i <= length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The code of a status line {@code HTTP/1.x NNN ...}, or -1 if the line is not one. */
    static int statusCode(String line) {
        if (line.length() < 12 || !line.startsWith("HTTP/1.") || !isDigit(line.charAt(7)) || line.charAt(8) != ' ') {
            return -1;
        }
        if (!isDigit(line.charAt(9)) || !isDigit(line.charAt(10)) || !isDigit(line.charAt(11))) {
            return -1;
        }
        if (line.length() > 12 && line.charAt(12) != ' ') {
            return -1;
        }
        return Integer.parseInt(line.substring(9, 12));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** Bytes for a one-line cause: text with \r \n \t escaped, or hex when not printable ASCII. */
    static String show(byte[] bytes, int length) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int b = bytes[i] & 0xff;
            if (b == '\r') {
                sb.append("\\r");
            } else if (b == '\n') {
                sb.append("\\n");
            } else if (b == '\t') {
                sb.append("\\t");
            } else if (b >= 0x20 && b < 0x7f) {
                sb.append((char) b);
            } else {
                return "hex:" + HexFormat.of().formatHex(bytes, 0, length);
            }
        }
        return sb.toString();
    }

    static String show(byte[] bytes) {
        return show(bytes, bytes.length);
    }

    /** The first line of a reply, decoded loosely (a status line is ASCII) and cut to a readable length. */
    static String line(byte[] bytes, int length) {
        int end = length;
        if (end > 0 && bytes[end - 1] == '\r') {
            end--;
        }
        return new String(bytes, 0, Math.min(end, 200), StandardCharsets.ISO_8859_1);
    }
}
