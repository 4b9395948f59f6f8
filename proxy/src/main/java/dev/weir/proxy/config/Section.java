package dev.weir.proxy.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The keys a map may hold, in the order its errors list them; any other key is unknown. A name may be declared
 * twice where its meaning depends on another key (a health check's {@code expect}).
 *
 * @param expected what an error says the map should be, when it is not one
 */
record Section(String expected, List<Key<?>> keys, List<String> names) {

    Section {
        keys = List.copyOf(keys);
        names = List.copyOf(names);
    }

    Section(String expected, List<Key<?>> keys) {
        this(expected, keys, names(keys));
    }

    static Section of(Key<?>... keys) {
        return of(List.of(keys));
    }

    static Section of(List<Key<?>> keys) {
        return new Section("a map of " + String.join(", ", names(keys)), keys);
    }

    static Section described(String expected, Key<?>... keys) {
        return new Section(expected, List.of(keys));
    }

    /** The map's entries with unknown keys reported and dropped; null (reported) when it is not a map. */
    Map<String, Node> fields(NodeReader in, String path, Node node) {
        return in.fields(path, node, expected, names);
    }

    private static List<String> names(List<Key<?>> keys) {
        List<String> names = new ArrayList<>();
        for (Key<?> key : keys) {
            if (!names.contains(key.name())) {
                names.add(key.name());
            }
        }
        return names;
    }
}
