package dev.weir.proxy.config;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.Node;

/**
 * config/weir.yaml read as a tree of every key it shows, each with its documentation. The reference is YAML whose
 * optional parts are commented out:
 * <ul>
 *   <li>{@code # key:} is a key of an optional section or an optional key: one "# " comes off, as in the other
 *       reference tests ({@code #   key:} comes out two deeper, inside its section);</li>
 *   <li>{@code #   # key:} is a key commented out inside such a section (send, expect, path): both come off, but only
 *       where the key lines up with the keys above it (at most two deeper than the last one), since an explanation
 *       at the comment column may start like a key ({@code #     # http: the passing statuses});</li>
 *   <li>a key's documentation is the comment on its line and on the comment-only lines right below it.</li>
 * </ul>
 */
record ReferenceFile(Node root, List<String> lines) {

    private static final String KEY = "[a-z][a-z-]*:(?: |$)";
    private static final Pattern COMMENTED = Pattern.compile("(?m)^( *)# (?= *" + KEY + ")");
    private static final Pattern COMMENTED_TWICE = Pattern.compile("( *)# ( *)# (" + KEY + ".*)");
    private static final Pattern KEY_LINE = Pattern.compile("( *)(?:- )*(" + KEY + ").*");

    static ReferenceFile parse(String yaml) {
        String on = uncommentTwice(COMMENTED.matcher(yaml).replaceAll("$1"));
        return new ReferenceFile(new Yaml().compose(new StringReader(on)), on.lines().toList());
    }

    /** What the reference says about the key whose name is {@code keyNode}. */
    String doc(Node keyNode) {
        int line = keyNode.getStartMark().getLine();
        StringBuilder doc = new StringBuilder(comment(lines.get(line)));
        for (int i = line + 1; i < lines.size() && lines.get(i).strip().startsWith("#"); i++) {
            // Below a key of a commented-out section the markers are two: "#       # more about it".
            doc.append(' ').append(lines.get(i).replaceFirst("^[# ]+", ""));
        }
        return doc.toString();
    }

    private static String uncommentTwice(String yaml) {
        List<String> out = new ArrayList<>();
        int keyColumn = 0;
        for (String line : yaml.lines().toList()) {
            Matcher twice = COMMENTED_TWICE.matcher(line);
            if (twice.matches() && twice.group(1).length() + twice.group(2).length() <= keyColumn + 2) {
                line = twice.group(1) + twice.group(2) + twice.group(3);
            }
            Matcher key = KEY_LINE.matcher(line);
            if (key.matches()) {
                keyColumn = key.start(2);
            }
            out.add(line);
        }
        return String.join("\n", out) + "\n";
    }

    /** The comment after a key line's YAML, from its first " #" (no value in the reference holds one). */
    private static String comment(String line) {
        int hash = line.indexOf(" #");
        return hash < 0 ? "" : line.substring(hash + 2).strip();
    }
}
