package dev.weir.proxy.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One map of the tree {@link ConfigTree} writes: each entry named by its {@link Key}, so that the names are those the
 * schema reads, and each value as the config writes it (the key's own format: {@code 5s}, {@code 32KiB},
 * {@code round-robin}). Numbers and booleans stay numbers and booleans. A null value leaves its key out: the loader
 * reads an absent optional key as off, but refuses a null one.
 */
final class TreeSection {

    private final Map<String, Object> entries = new LinkedHashMap<>();

    /** The value as {@code key}'s parser formats it. */
    <T> TreeSection put(Key<T> key, T value) {
        return raw(key, value == null ? null : key.parser().format(value));
    }

    TreeSection number(Key<Integer> key, int value) {
        return raw(key, value);
    }

    TreeSection flag(Key<Boolean> key, boolean value) {
        return raw(key, value);
    }

    /** Each item as {@code format} writes it. */
    <T> TreeSection list(Key<?> key, List<T> items, Function<T, Object> format) {
        return raw(key, new ArrayList<>(items.stream().map(format).toList()));
    }

    /** A nested section, a list or a plain value; null leaves the key out. */
    TreeSection raw(Key<?> key, Object value) {
        if (value instanceof TreeSection s) {
            value = s.map();
        }
        if (value != null) {
            entries.put(key.name(), value);
        }
        return this;
    }

    Map<String, Object> map() {
        return entries;
    }
}
