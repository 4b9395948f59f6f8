package dev.weir.proxy.config;

import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;

/**
 * One config key, declared once: its name, its parser (type and range) and its default. A {@link Section} of them
 * gives the known keys of a map; config/weir.yaml documents each one, which ConfigReferenceTest holds it to.
 *
 * @param fallback the value when the key is absent; null for a required key, or an optional one that is off
 * @param section  the keys of the map this key holds (of each entry for NAMED, of each item for LIST)
 */
record Key<T>(String name, Kind kind, Parser<T> parser, T fallback, Section section) {

    enum Kind {
        /** A value, its default when absent. */
        VALUE,
        /** A value that must be written: absent is reported by its parser. */
        REQUIRED,
        /** A map of the keys of {@code section}, read by its schema. */
        SECTION,
        /** A map of name to a map of the keys of {@code section}. */
        NAMED,
        /** A list of items, each a map of the keys of {@code section} (or a short form). */
        LIST
    }

    static <T> Key<T> of(String name, Parser<T> parser, T fallback) {
        return new Key<>(name, Kind.VALUE, parser, fallback, null);
    }

    /** Absent reads as null: off, or no limit. */
    static <T> Key<T> optional(String name, Parser<T> parser) {
        return of(name, parser, null);
    }

    static <T> Key<T> required(String name, Parser<T> parser) {
        return new Key<>(name, Kind.REQUIRED, parser, null, null);
    }

    static Key<Void> section(String name, Section section) {
        return new Key<>(name, Kind.SECTION, null, null, section);
    }

    static Key<Void> named(String name, Section each) {
        return new Key<>(name, Kind.NAMED, null, null, each);
    }

    static Key<Void> list(String name, Section each) {
        return new Key<>(name, Kind.LIST, null, null, each);
    }

    /** This key's value among {@code fields} of the map at {@code parent}: the default when absent. */
    T read(NodeReader in, String parent, Map<String, Node> fields) {
        return read(in, parent, fields, fallback);
    }

    /** For a default that depends on another key's value (a timeout no longer than its interval). */
    T read(NodeReader in, String parent, Map<String, Node> fields, T fallback) {
        Node node = fields.get(name);
        if (node == null && kind != Kind.REQUIRED) {
            return fallback;
        }
        return parser.read(in, path(parent), node);
    }

    String path(String parent) {
        return NodeReader.child(parent, name);
    }

    Node node(Map<String, Node> fields) {
        return fields.get(name);
    }

    boolean isIn(Map<String, Node> fields) {
        return fields.containsKey(name);
    }

    /** The default as the reference file writes it; null when there is none. */
    String formattedDefault() {
        return fallback == null ? null : parser.format(fallback);
    }
}
