package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar's command line: what the build wrote into it, and a config file too large for its heap. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CommandLineIT {

    @TempDir
    Path dir;

    @Test
    void theJarNamesTheCommitAndDateOfItsBuild() throws Exception {
        try (WeirProcess weir = WeirProcess.startAsDeployed(List.of(), "--version")) {
            assertThat(weir.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(weir.process().exitValue()).isZero();
            await().until(() -> weir.output().lines().count() >= 7);
            List<String> lines = weir.output().lines().toList();
            assertThat(lines.get(0)).matches("weir \\d+\\.\\d+\\.\\d+\\S*");
            VersionTest.assertCommit(lines.get(1), VersionTest.GitHead.commit());
            assertThat(lines.get(2)).matches("built: \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        }
    }

    @Test
    void aFiftyMegabyteFileUnderASmallHeapIsAConfigErrorNotOutOfMemory() throws Exception {
        // Before: 53 s, then OutOfMemoryError and exit 1 (one comment line of 50 MiB, -Xmx256m).
        Path big = dir.resolve("big.yaml");
        try (Writer w = Files.newBufferedWriter(big)) {
            w.write("listeners:\n  web: {bind: 127.0.0.1:0, pool: web}\npools:\n  web:\n    backends: [127.0.0.1:9]\n#");
            String chunk = "x".repeat(1 << 20);
            for (int i = 0; i < 50; i++) {
                w.write(chunk);
            }
            w.write("\n");
        }
        long size = Files.size(big);
        try (WeirProcess weir = WeirProcess.start(Map.of(), List.of("-Xmx256m"), "validate", big.toString())) {
            assertThat(weir.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(weir.process().exitValue()).as(weir.output()).isEqualTo(2);
            await().until(() -> weir.output().contains(big + ": " + size
                    + " bytes (expected: a config of at most 3MiB (3145728 bytes))"));
            assertThat(weir.output()).doesNotContain("OutOfMemoryError");
        }
    }
}
