package dev.weir.proxy.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The size limit of a config: a file over {@link #MAX_BYTES} is refused before it is read, let alone parsed. A real
 * config is kilobytes (the reference file 16 KB, ten thousand backends about 300 KB); a file of megabytes is a log or
 * a dump given by mistake, whose parse would cost time and heap for nothing. The limit holds after {@code ${VAR}}
 * substitution too ({@link NodeReader}), and it is SnakeYAML's own default limit, made a check before parsing.
 */
final class ConfigText {

    static final int MAX_BYTES = 3 * 1024 * 1024;
    static final String EXPECTED = "a config of at most 3MiB (3145728 bytes)";

    private ConfigText() {
    }

    /** The file's text (UTF-8); a ConfigException naming the file and the limit when it is larger. */
    static String read(Path file) throws ConfigException, IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw tooLarge(file.toString(), size + " bytes");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            // Bounded whatever the size said: a file that grew since, or a pipe, whose size reads as 0.
            bytes = in.readNBytes(MAX_BYTES + 1);
        }
        if (bytes.length > MAX_BYTES) {
            throw tooLarge(file.toString(), "over " + MAX_BYTES + " bytes");
        }
        // The JDK's fast decoding, then the strict one (malformed UTF-8 is an error) only where a byte could not be
        // decoded: the fast one puts U+FFFD there.
        String text = new String(bytes, StandardCharsets.UTF_8);
        return text.indexOf('\uFFFD') < 0 ? text
                : StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    }

    /** Refuses a text given whole that is over the limit (its characters, each at least a byte in a file). */
    static void check(String yaml, String sourceName) throws ConfigException {
        if (yaml.length() > MAX_BYTES) {
            throw tooLarge(sourceName, yaml.length() + " characters");
        }
    }

    private static ConfigException tooLarge(String source, String size) {
        return new ConfigException(List.of(source + ": " + size + " (expected: " + EXPECTED + ")"));
    }
}
