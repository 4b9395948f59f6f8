package dev.weir.proxy.config;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${VAR}} and {@code ${VAR:-default}} inside one scalar value. As in sh, the default applies when
 * VAR is unset or empty. Done on scalars after parsing, not on the raw text, so a variable can never inject YAML
 * structure and every error can name the YAML path.
 */
final class EnvSubstitution {

    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private EnvSubstitution() {
    }

    /** The variable {@code text} names when it is exactly one reference ({@code ${VAR}}, {@code ${VAR:-x}}); else null. */
    static String soleVariable(String text) {
        Matcher m = REFERENCE.matcher(text);
        return m.matches() ? m.group(1) : null;
    }

    /** A result longer than the limit it was given: stopped before it is built. */
    static final class TooLong extends IllegalArgumentException {
        TooLong() {
            super(ConfigText.EXPECTED);
        }
    }

    /** A variable that is unset and has no default: its name can be shown where the value cannot (a secret's). */
    static final class Unset extends IllegalArgumentException {
        private final String variable;

        Unset(String variable) {
            super("environment variable " + variable + " to be set, or a default as in ${" + variable + ":-value}");
            this.variable = variable;
        }

        String variable() {
            return variable;
        }
    }

    /**
     * Returns {@code text} with every reference replaced. Throws IllegalArgumentException whose message completes
     * "(expected: ...)": a malformed reference, or a variable that is unset and has no default.
     */
    static String apply(String text, Map<String, String> env) {
        return apply(text, env, Long.MAX_VALUE);
    }

    /** Like {@link #apply(String, Map)}; throws {@link TooLong} as soon as the result would pass {@code limit}. */
    static String apply(String text, Map<String, String> env, long limit) {
        int start = text.indexOf("${");
        if (start < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int at = 0;
        Matcher m = REFERENCE.matcher(text);
        while (start >= 0) {
            out.append(text, at, start);
            m.region(start, text.length());
            if (!m.lookingAt()) {
                throw new IllegalArgumentException("${VAR} or ${VAR:-default}, VAR made of A-Z a-z 0-9 _");
            }
            String name = m.group(1);
            String value = env.get(name);
            String fallback = m.group(2);
            if (fallback != null && (value == null || value.isEmpty())) {
                value = fallback;
            }
            if (value == null) {
                throw new Unset(name);
            }
            if ((long) out.length() + value.length() > limit) {
                throw new TooLong();
            }
            out.append(value);
            at = m.end();
            start = text.indexOf("${", at);
        }
        if ((long) out.length() + text.length() - at > limit) {
            throw new TooLong();
        }
        return out.append(text, at, text.length()).toString();
    }
}
