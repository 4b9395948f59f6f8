package dev.weir.proxy.config;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Walks composed YAML nodes: maps, lists and scalar text (with {@code ${VAR}} substituted), and records each problem
 * as {@code path: value (expected: ...)}, so that one pass reports all of them. A bad value is reported and reads as
 * null, and the caller carries on to find the next problem. Typed values are read by {@link Scalars} and
 * {@link Addresses}, through each key's {@link Parser}. It also keeps the pool names read, which can be checked only
 * once every pool is known.
 */
final class NodeReader {

    /** Shown in place of a secret's value, in errors as in toString. */
    static final String MASK = "****";

    // Tags a plain config may carry; anything else (!foo, !!binary, !!set) is refused before its value is read.
    private static final Set<Tag> PLAIN_TAGS =
            Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.NULL, Tag.TIMESTAMP, Tag.MAP, Tag.SEQ);

    private final Map<String, String> env;
    // what ${VAR} substitution may add to the text before the config is over its size limit (ConfigText)
    private long substitutionBudget;
    private final List<String> errors = new ArrayList<>();
    // path -> the pool named there, checked once every pool name is known
    private final Map<String, String> poolReferences = new LinkedHashMap<>();

    NodeReader(Map<String, String> env) {
        this(env, Integer.MAX_VALUE);
    }

    /** @param substitutionBudget the characters {@code ${VAR}} substitution may add in all */
    NodeReader(Map<String, String> env, long substitutionBudget) {
        this.env = env;
        this.substitutionBudget = substitutionBudget;
    }

    List<String> errors() {
        return errors;
    }

    /** Notes that {@code path} names {@code pool}, to be checked once every pool is known. */
    void referToPool(String path, String pool) {
        poolReferences.put(path, pool);
    }

    /** The pool names read so far, in file order, by the path that names them. */
    Map<String, String> poolReferences() {
        return poolReferences;
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
        String written = scalar.getValue();
        try {
            String value = EnvSubstitution.apply(written, env, written.length() + Math.max(0, substitutionBudget));
            substitutionBudget -= value.length() - written.length();
            return value;
        } catch (EnvSubstitution.TooLong e) {
            if (substitutionBudget >= 0) {
                error(path, "the config over 3MiB once its ${VAR} references are replaced", ConfigText.EXPECTED);
                substitutionBudget = -1; // said once
            }
            return null;
        } catch (EnvSubstitution.Unset e) {
            // A secret's text stays hidden, but not the name of the variable that left it without a value.
            error(path, secret ? "unset variable ${" + e.variable() + "}" : quote(scalar.getValue()), e.getMessage());
            return null;
        } catch (IllegalArgumentException e) {
            error(path, secret ? MASK : quote(scalar.getValue()), e.getMessage());
            return null;
        }
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
