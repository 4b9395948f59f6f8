package dev.weir.proxy.config;

import static dev.weir.proxy.config.ConfigAssertions.MINIMAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The size limit of a config file (3 MiB), checked before anything is read or parsed, and a parse whose cost follows
 * the size of the text whatever its shape: one long line used to cost seconds and hundreds of megabytes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConfigSizeTest {

    private static final int LIMIT = 3 * 1024 * 1024;
    private static final String EXPECTED = "(expected: a config of at most 3MiB (3145728 bytes))";

    private static final com.sun.management.ThreadMXBean ALLOCATIONS =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    @TempDir
    Path dir;

    @Test
    void aFileOverTheLimitIsRefusedNamingTheFileAndTheLimit() throws Exception {
        Path file = dir.resolve("big.yaml");
        Files.writeString(file, padded(MINIMAL, LIMIT + 1));

        assertThatThrownBy(() -> ConfigLoader.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage(file + ": 3145729 bytes " + EXPECTED);

        Files.writeString(file, padded(MINIMAL, LIMIT));
        assertThat(ConfigLoader.load(file).pools()).containsOnlyKeys("web");
    }

    @Test
    void aFileIsRefusedByItsSizeBeforeItIsRead() throws Exception {
        // 1 GiB that takes no disk: reading it whole would need more heap than the tests have.
        Path file = dir.resolve("huge.yaml");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(1L << 30);
        }
        assertThatThrownBy(() -> ConfigLoader.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage(file + ": 1073741824 bytes " + EXPECTED);
    }

    @Test
    void aDeviceWithoutASizeIsReadNoFurtherThanTheLimit() {
        Path zero = Path.of("/dev/zero");
        assumeTrue(Files.isReadable(zero));
        assertThatThrownBy(() -> ConfigLoader.load(zero)).isInstanceOf(ConfigException.class)
                .hasMessage("/dev/zero: over 3145728 bytes " + EXPECTED);
    }

    @Test
    void aTextOverTheLimitIsRefusedBeforeItIsParsed() {
        assertThatThrownBy(() -> ConfigLoader.parse(padded("pools: [", LIMIT + 1), Map.of(), "inline"))
                .hasMessage("inline: 3145729 characters " + EXPECTED);
    }

    @Test
    void substitutionCannotTakeTheConfigOverTheLimit() {
        String big = "x".repeat(1024 * 1024);
        // Over the limit only once substituted: the variables take it there, and the error says so.
        String config = MINIMAL.replace("127.0.0.1:9001]", "127.0.0.1:9001]\n    health-check: {type: http, path: "
                + "\"/${BIG}${BIG}\"}\n  other:\n    backends: [127.0.0.1:9002]\n    health-check: {type: http, path: "
                + "\"/${BIG}${BIG}\"}");
        assertThatThrownBy(() -> ConfigLoader.parse(config, Map.of("BIG", big)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("pools.other.health-check.path: the config over 3MiB once its ${VAR} references are replaced "
                        + EXPECTED);

        // One value whose references would make 2 GiB: refused before it is built.
        String many = MINIMAL.replace("127.0.0.1:9001]", "127.0.0.1:9001]\n    health-check: {type: http, path: \"/"
                + "${BIG}".repeat(2048) + "\"}");
        assertThatThrownBy(() -> ConfigLoader.parse(many, Map.of("BIG", big)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("pools.web.health-check.path: the config over 3MiB once its ${VAR} references are replaced "
                        + EXPECTED);
    }

    @Test
    void filesOfNearlyThreeMegabytesInAnyShapeValidateAtACostInProportionToTheirSize() throws Exception {
        // Work is counted as bytes allocated, which a loaded machine does not change as it does time. A long line (a
        // comment, a scalar) cost about 6,000 bytes per byte of the file in SnakeYAML's reader (18 GB, 5 s); the
        // most a shape costs now is many small pools or listeners, about 155 per byte, each with its YAML nodes,
        // records and defaults (190 before SnakeYAML's regular expressions were skipped; a long allow list 230
        // while each CIDR compiled its own). A check of every pair of listeners allocated nothing, but the class's
        // timeout is what it would run into: 73,000 listeners took 20 s and more.
        assumeTrue(ALLOCATIONS.isThreadAllocatedMemorySupported());
        ALLOCATIONS.setThreadAllocatedMemoryEnabled(true);
        int size = LIMIT - 64;
        Map<String, String> shapes = new java.util.LinkedHashMap<>();
        shapes.put("one long comment line", padded(MINIMAL, size));
        shapes.put("a long quoted value", filled(MINIMAL + "    health-check: {type: http, path: \"/", size, "\"}\n"));
        shapes.put("a long plain value", filled(MINIMAL + "    health-check: {type: http, path: /", size, "}\n"));
        shapes.put("many short keys", manyPools(size));
        shapes.put("the config on one line", oneLine(size));
        String poolFirst = "pools:\n  web:\n    backends: [127.0.0.1:9001]\nlisteners:\n";
        shapes.put("many listeners", items(poolFirst + "  web: {bind: 127.0.0.1:8080, pool: web}\n", size,
                i -> "  l" + i + ": {bind: '" + ip(i) + ":80', pool: web}\n"));
        shapes.put("a long allow list", items(poolFirst + "  web: {bind: 127.0.0.1:8080, pool: web, allow: [", size - 100,
                i -> ip(i) + "/32, ") + "10.255.255.255/32]}\n");
        for (Map.Entry<String, String> shape : shapes.entrySet()) {
            Path file = dir.resolve("shape.yaml");
            Files.writeString(file, shape.getValue());
            long before = ALLOCATIONS.getCurrentThreadAllocatedBytes();
            assertThat(ConfigLoader.load(file).listeners()).as(shape.getKey()).containsKey("web");
            long perByte = (ALLOCATIONS.getCurrentThreadAllocatedBytes() - before) / size;
            assertThat(perByte).as(shape.getKey() + ": bytes allocated per byte of the file").isLessThan(200);
        }
        // Deep nesting is refused at SnakeYAML's depth limit, however long the file.
        Path deep = dir.resolve("deep.yaml");
        Files.writeString(deep, padded(MINIMAL + "x: " + "[".repeat(10_000) + "]".repeat(10_000) + "\n", size));
        assertThatThrownBy(() -> ConfigLoader.load(deep)).hasMessage(deep + ": malformed YAML: Nesting Depth exceeded max 50");
    }

    @Test
    void aFileThatIsNotUtf8IsRefusedWhereverItsBadByteIs() throws Exception {
        Path file = dir.resolve("latin1.yaml");
        byte[] text = (MINIMAL + "# caf\u00e9\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Files.write(file, text);
        assertThatThrownBy(() -> ConfigLoader.load(file)).isInstanceOf(java.nio.charset.MalformedInputException.class);

        Files.writeString(file, MINIMAL + "# caf\u00e9 \uFFFD\n");
        assertThat(ConfigLoader.load(file).pools()).containsOnlyKeys("web");
    }

    @Test
    void aCharacterYamlDoesNotTakeIsNamedWithItsPlace() {
        assertThatThrownBy(() -> ConfigLoader.parse(MINIMAL + "  x: a\u0001b\n", Map.of(), "weir.yaml"))
                .hasMessage("weir.yaml: malformed YAML at line 6, column 7: character U+0001 (expected: printable text;"
                        + " YAML takes no control character but tab and line breaks)");
    }

    /** {@code yaml} and a comment line that takes it to {@code size} bytes. */
    private static String padded(String yaml, int size) {
        return yaml + "#" + "c".repeat(size - yaml.length() - 2) + "\n";
    }

    /** {@code head}, x's up to {@code size} bytes, {@code tail}. */
    private static String filled(String head, int size, String tail) {
        return head + "x".repeat(size - head.length() - tail.length()) + tail;
    }

    /** {@code head} and as many {@code item}s as fit in {@code size} characters. */
    private static String items(String head, int size, java.util.function.IntFunction<String> item) {
        StringBuilder yaml = new StringBuilder(head);
        for (int i = 0; yaml.length() + item.apply(i).length() <= size; i++) {
            yaml.append(item.apply(i));
        }
        return yaml.toString();
    }

    private static String ip(int i) {
        return "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
    }

    private static String manyPools(int size) {
        StringBuilder yaml = new StringBuilder(MINIMAL);
        for (int i = 0; yaml.length() < size - 100; i++) {
            yaml.append("  p").append(i).append(":\n    backends: [127.0.0.1:").append(9000 + i % 1000).append("]\n");
        }
        return yaml.toString();
    }

    /** The whole config as one flow mapping on one line, its pool with a long list of backends. */
    private static String oneLine(int size) {
        StringBuilder yaml = new StringBuilder("{\"listeners\": {\"web\": {\"bind\": \"127.0.0.1:8080\", \"pool\": \"web\"}},"
                + " \"pools\": {\"web\": {\"backends\": [");
        for (int i = 0; yaml.length() < size - 100; i++) {
            yaml.append("\"10.").append(i >> 16 & 255).append('.').append(i >> 8 & 255).append('.').append(i & 255)
                    .append(":80\", ");
        }
        return yaml.append("\"10.255.255.255:80\"]}}}\n").toString();
    }
}
