package dev.weir.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What the watch reports: a change of content once, and no change lost to a reload that runs meanwhile. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FileWatchTest {

    @TempDir
    Path dir;

    @Test
    void aChangeOfContentIsReportedOnceAndTheSameBytesAgainNot() throws Exception {
        Path file = Files.writeString(dir.resolve("a.pem"), "one");
        AtomicInteger calls = new AtomicInteger();
        try (FileWatch watch = new FileWatch("test", Set.of(file), calls::incrementAndGet)) {
            Files.writeString(file, "two");
            await().atMost(Duration.ofSeconds(20)).until(() -> calls.get() == 1);
            Files.writeString(file, "two");
            Files.writeString(dir.resolve("other.pem"), "not watched");
            await().pollDelay(Duration.ZERO).during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                    .until(() -> calls.get() == 1);
        }
    }

    /**
     * A reload reads the files, then calls {@link FileWatch#watch} with what the new config names (the same files):
     * a change that landed in between, which the reload did not read, must still be reported, not taken as the base.
     */
    @Test
    void aChangeThatLandsWhileAReloadRunsIsStillReported() throws Exception {
        Path file = Files.writeString(dir.resolve("b.pem"), "one");
        AtomicInteger calls = new AtomicInteger();
        try (FileWatch watch = new FileWatch("test", Set.of(file), calls::incrementAndGet)) {
            Files.writeString(file, "two");
            watch.watch(Set.of(file)); // a reload that read "one" ends now
            await().atMost(Duration.ofSeconds(20)).until(() -> calls.get() == 1);
        }
    }

    @Test
    void aFileNewToTheWatchStartsFromItsContentNow() throws Exception {
        Path first = Files.writeString(dir.resolve("c.pem"), "one");
        Path added = Files.writeString(dir.resolve("d.pem"), "one");
        AtomicInteger calls = new AtomicInteger();
        try (FileWatch watch = new FileWatch("test", Set.of(first), calls::incrementAndGet)) {
            watch.watch(Set.of(first, added));
            Files.writeString(added, "two");
            await().atMost(Duration.ofSeconds(20)).until(() -> calls.get() == 1);
        }
    }
}
