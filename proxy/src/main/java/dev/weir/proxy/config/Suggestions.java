package dev.weir.proxy.config;

import java.util.Collection;

/** "Did you mean ...?" for unknown keys: a typo costs one look at the error, not a trip to the docs. */
final class Suggestions {

    private Suggestions() {
    }

    /** The known key nearest to {@code key} by edit distance, if near enough to be a likely typo. */
    static String closest(String key, Collection<String> known) {
        String best = null;
        int bestDistance = Math.max(1, Math.min(3, key.length() / 2)) + 1;
        for (String candidate : known) {
            int d = editDistance(key, candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
