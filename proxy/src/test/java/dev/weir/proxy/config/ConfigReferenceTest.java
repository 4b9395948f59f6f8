package dev.weir.proxy.config;

import static dev.weir.proxy.config.NodeReader.child;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * config/weir.yaml documents every key the schemas declare, with its default, and no other key (issue 15, point 5).
 * A key with a default says {@code (default X)} with X as a config writes it; an optional key without one says what
 * absent means ({@code (default: none)}); every value shown, examples included, is one the key accepts.
 * That the values shown are the defaults is ConfigLoaderTest's and ConfigHealthDiscoveryTest's to check.
 */
@Timeout(30)
class ConfigReferenceTest {

    private final Map<Key<?>, List<String>> docs = new IdentityHashMap<>();
    private final List<String> problems = new ArrayList<>();

    @Test
    void referenceDocumentsEveryDeclaredKeyWithItsDefault() throws Exception {
        ReferenceFile reference = ReferenceFile.parse(Files.readString(Path.of("../config/weir.yaml")));
        walk(reference, ConfigSchema.ROOT, "", reference.root());

        Map<Key<?>, String> declared = new LinkedHashMap<>();
        declared(ConfigSchema.ROOT, "", declared);
        declared.forEach((key, path) -> check(key, path, docs.get(key)));
        assertThat(problems).isEmpty();
    }

    @Test
    void readsCommentedKeysAndTheirDocs() {
        ReferenceFile sample = ReferenceFile.parse("""
                # A title: not a key
                top: 1              # the top (default 1)
                                    # and its second line
                sec:
                  # opt:            # an optional section
                  #   key: 2        # (default 2)
                  #                 # http: a note that starts like a key
                  #   # deep: x     # commented inside the section
                """);
        MappingNode root = (MappingNode) sample.root();
        assertThat(keys(root)).containsExactly("top", "sec");
        assertThat(sample.doc(root.getValue().get(0).getKeyNode()))
                .isEqualTo("the top (default 1) and its second line");
        MappingNode opt = (MappingNode) ((MappingNode) root.getValue().get(1).getValueNode()).getValue().get(0)
                .getValueNode();
        assertThat(keys(opt)).containsExactly("key", "deep");
        assertThat(sample.doc(opt.getValue().get(0).getKeyNode()))
                .isEqualTo("(default 2) http: a note that starts like a key");
    }

    /** Checks each key of {@code node} against {@code section}, and notes its docs. */
    private void walk(ReferenceFile reference, Section section, String path, Node node) {
        if (!(node instanceof MappingNode map)) {
            return; // a section written empty ("write-buffer:")
        }
        for (NodeTuple tuple : map.getValue()) {
            String name = ((ScalarNode) tuple.getKeyNode()).getValue();
            String keyPath = child(path, name);
            List<Key<?>> keys = section.keys().stream().filter(k -> k.name().equals(name)).toList();
            if (keys.isEmpty()) {
                problems.add(keyPath + ": in the reference, but not declared");
                continue;
            }
            String doc = reference.doc(tuple.getKeyNode());
            keys.forEach(key -> docs.computeIfAbsent(key, k -> new ArrayList<>()).add(doc));
            Key<?> key = keys.get(0);
            Node value = tuple.getValueNode();
            switch (key.kind()) {
                case SECTION -> walk(reference, key.section(), keyPath, value);
                case NAMED -> ((MappingNode) value).getValue().forEach(entry -> walk(reference, key.section(),
                        child(keyPath, ((ScalarNode) entry.getKeyNode()).getValue()), entry.getValueNode()));
                // Short forms (a bare address) are the loader's to check: ConfigLoaderTest loads the reference.
                case LIST -> ((SequenceNode) value).getValue().forEach(item -> walk(reference, key.section(),
                        keyPath + "[]", item));
                case VALUE, REQUIRED -> {
                    if (keys.stream().noneMatch(k -> accepts(k, keyPath, value))) {
                        problems.add(keyPath + ": the example is not a value the key accepts");
                    }
                }
            }
        }
    }

    private void check(Key<?> key, String path, List<String> keyDocs) {
        if (keyDocs == null) {
            problems.add(path + ": declared, but not in the reference");
        } else if (key.fallback() != null) {
            String says = "(default " + key.formattedDefault();
            if (keyDocs.stream().noneMatch(doc -> doc.contains(says))) {
                problems.add(path + ": the reference does not say " + says + ", it says " + keyDocs);
            }
        } else if (key.kind() == Key.Kind.VALUE && keyDocs.stream().noneMatch(doc -> doc.contains("(default:"))) {
            problems.add(path + ": optional, but the reference does not say what absent means (default: ...)");
        }
    }

    /** Every key reachable from {@code section}, by the path of its first use. */
    private static void declared(Section section, String path, Map<Key<?>, String> out) {
        for (Key<?> key : section.keys()) {
            String keyPath = child(path, key.name());
            out.putIfAbsent(key, keyPath);
            if (key.section() != null) {
                declared(key.section(), key.kind() == Key.Kind.NAMED ? keyPath + ".NAME"
                        : key.kind() == Key.Kind.LIST ? keyPath + "[]" : keyPath, out);
            }
        }
    }

    private static boolean accepts(Key<?> key, String path, Node value) {
        NodeReader in = new NodeReader(Map.of());
        key.parser().read(in, path, value);
        return in.errors().isEmpty();
    }

    private static List<String> keys(MappingNode map) {
        return map.getValue().stream().map(t -> ((ScalarNode) t.getKeyNode()).getValue()).toList();
    }
}
