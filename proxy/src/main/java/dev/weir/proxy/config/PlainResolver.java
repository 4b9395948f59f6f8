package dev.weir.proxy.config;

import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * SnakeYAML's resolver of implicit tags, with the same answers, that runs its regular expressions only for a scalar
 * that could match one. SnakeYAML's tries two or more on every plain scalar (every key, name and address): the null
 * ones always, and int, float and timestamp on anything that starts with a digit, such as an IP address. Here a
 * scalar is plainly a string when it starts with a character none of them starts with, starts with a letter and is
 * longer than any boolean or null word, or starts like a number but holds two dots (no int, float or timestamp has
 * more than one) or a character none of them holds. Thread rule: none (no state beyond SnakeYAML's, set once).
 */
final class PlainResolver extends Resolver {

    // The longest words of the bool (false, FALSE) and null (null, Null, NULL) resolvers.
    private static final int LONGEST_WORD = 5;

    @Override
    public Tag resolve(NodeId kind, String value, boolean implicit) {
        if (kind == NodeId.scalar && implicit && plainlyText(value)) {
            return Tag.STR;
        }
        return super.resolve(kind, value, implicit);
    }

    static boolean plainlyText(String value) {
        if (value.isEmpty()) {
            return false;
        }
        char first = value.charAt(0);
        if ("yYnNtTfFoO".indexOf(first) >= 0) {
            return value.length() > LONGEST_WORD;
        }
        if ("-+.0123456789".indexOf(first) >= 0) {
            return !couldBeNumberOrTime(value);
        }
        // ~, <<, the null " ", and ! & * (which SnakeYAML registers though a plain scalar cannot start so).
        return "~< !&*".indexOf(first) < 0;
    }

    /** False when no int, float (.inf, .nan included) or timestamp could match: more than one dot, or other text. */
    private static boolean couldBeNumberOrTime(String value) {
        int dots = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '.' && ++dots > 1) {
                return false;
            }
            boolean numeric = c >= '0' && c <= '9' || "+-._: \t".indexOf(c) >= 0;
            // hex digits and 0x, 0b; e and E of exponents; inf, nan; the T and Z of timestamps
            if (!numeric && "abcdefABCDEFxinINtTZ".indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }
}
