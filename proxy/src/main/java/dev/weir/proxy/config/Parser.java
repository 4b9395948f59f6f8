package dev.weir.proxy.config;

import java.util.function.Function;
import org.yaml.snakeyaml.nodes.Node;

/**
 * How one key's value is read: its type and its range. Problems go to the {@link NodeReader}, so that one pass
 * reports all of them; a bad value reads as null.
 */
interface Parser<T> {

    /** Reads {@code node} at {@code path}; null when it is bad (reported). A required key's node may be null. */
    T read(NodeReader in, String path, Node node);

    /** The value as a config writes it (32KiB, 5s, round-robin): how the reference file shows a default. */
    default String format(T value) {
        return String.valueOf(value);
    }

    static <T> Parser<T> of(Parser<T> read, Function<T, String> format) {
        return new Parser<>() {
            @Override
            public T read(NodeReader in, String path, Node node) {
                return read.read(in, path, node);
            }

            @Override
            public String format(T value) {
                return format.apply(value);
            }
        };
    }
}
