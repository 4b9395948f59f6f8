package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/bin/weir and a class archive beside the jar (as the container image has one): {@code weir train} makes it,
 * the launcher uses it, and one that is corrupt or made for another jar leaves the start as it is without one.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LauncherArchiveIT {

    private static BackendSample echo;

    @TempDir
    Path dir;
    private Path jar;
    private Path archive;
    private Path cfg;

    @BeforeAll
    static void backend() throws Exception {
        echo = BackendSample.start("echo", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() {
        echo.close();
    }

    @BeforeEach
    void install() throws IOException {
        Path opt = Files.createDirectories(dir.resolve("opt"));
        jar = Files.copy(Path.of(System.getProperty("weir.jar", "target/weir.jar")), opt.resolve("weir.jar"));
        archive = opt.resolve("weir.jsa");
        cfg = Files.writeString(dir.resolve("weir.yaml"), """
                admin: {bind: "off"}
                listeners:
                  web: {bind: "127.0.0.1:0", pool: web}
                pools:
                  web: {backends: ["127.0.0.1:%d"]}
                shutdown: {drain-timeout: 0s}
                """.formatted(echo.port()));
    }

    @Test
    void trainStopsByItselfAndTheLauncherUsesTheArchiveItLeavesBesideTheJar() throws Exception {
        train();
        try (WeirProcess weir = WeirProcess.launch(env(Map.of()), "run", "-c", cfg.toString())) {
            assertServes(weir);
            assertThat(weir.commandLine()).contains("-XX:SharedArchiveFile=" + archive);
            assertThat(weir.mappedFiles()).as("the JVM uses the archive").contains(archive.toString());
            stopCleanly(weir);
        }
        assertThat(dir.resolve("cache/weir")).as("no archive of its own in the cache").doesNotExist();
    }

    @Test
    void aCorruptArchiveBesideTheJarIsIgnoredSilently() throws Exception {
        byte[] junk = new byte[64 * 1024];
        new Random(18).nextBytes(junk);
        Files.write(archive, junk);
        try (WeirProcess weir = WeirProcess.launch(env(Map.of()), "run", "-c", cfg.toString())) {
            assertServes(weir);
            assertThat(weir.mappedFiles()).doesNotContain(archive.toString());
            stopCleanly(weir);
            assertThat(weir.output()).doesNotContainPattern("(?i)cds|shared ?archive|\\[warning\\]");
        }
    }

    @Test
    void anArchiveOfAnotherJarIsIgnoredSilently() throws Exception {
        train();
        // Another build of the jar in the same place: the JVM checks the jar's size and time against the archive.
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 86_400_000L));
        try (WeirProcess weir = WeirProcess.launch(env(Map.of()), "run", "-c", cfg.toString())) {
            assertServes(weir);
            assertThat(weir.mappedFiles()).doesNotContain(archive.toString());
            stopCleanly(weir);
            assertThat(weir.output()).doesNotContainPattern("(?i)cds|shared ?archive|\\[warning\\]");
        }
    }

    /**
     * On Java 25 the launcher's own archive is an AOT cache: recorded by the first run, written when it exits, mapped
     * by the next. Runs where a Java 25 is installed: {@code -Dweir.test.java25=PATH} or Temurin 25's Debian path.
     */
    @Test
    void onJava25TheFirstRunWritesAnAotCacheThatTheNextMaps() throws Exception {
        Path java25 = Path.of(System.getProperty("weir.test.java25", "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"));
        assumeTrue(Files.isExecutable(java25), "no Java 25 at " + java25);
        Path cache = dir.resolve("cache/weir");
        Map<String, String> env = env(Map.of("JAVA", java25.toString()));
        try (WeirProcess first = WeirProcess.launch(env, "run", "-c", cfg.toString())) {
            assertServes(first);
            assertThat(first.commandLine()).anyMatch(f -> f.startsWith("-XX:AOTCacheOutput=" + cache));
            stopCleanly(first);
        }
        try (var files = Files.list(cache)) {
            assertThat(files.map(f -> f.getFileName().toString()).toList()).singleElement().asString()
                    .matches("weir-\\d+-\\d+-\\d+\\.aot");
        }
        try (WeirProcess next = WeirProcess.launch(env, "run", "-c", cfg.toString())) {
            assertServes(next);
            assertThat(next.commandLine()).anyMatch(f -> f.startsWith("-XX:AOTCache=" + cache));
            assertThat(next.mappedFiles()).contains(cache.toString());
            stopCleanly(next);
        }
    }

    /** {@code weir train} through the launcher with the archive flag, as the image build runs it. */
    private void train() throws Exception {
        Map<String, String> env = env(Map.of("WEIR_CDS", "off",
                "WEIR_JAVA_OPTS", "-Dio.netty.leakDetection.level=paranoid -XX:ArchiveClassesAtExit=" + archive));
        try (WeirProcess train = WeirProcess.launch(env, "train")) {
            assertThat(train.process().waitFor(120, TimeUnit.SECONDS)).as("train exits by itself").isTrue();
            assertThat(train.process().exitValue()).as(train.output()).isZero();
            assertThat(train.output()).contains("access listener=train").contains("bytes_up=7 bytes_down=6");
        }
        assertThat(archive).isNotEmptyFile();
    }

    private Map<String, String> env(Map<String, String> more) {
        Map<String, String> env = new HashMap<>(Map.of("WEIR_JAR", jar.toString(),
                "XDG_CACHE_HOME", dir.resolve("cache").toString()));
        env.putAll(more);
        return env;
    }

    private static void assertServes(WeirProcess weir) throws IOException {
        try (Socket s = Sockets.connect(new InetSocketAddress("127.0.0.1", weir.listenerPort("web")))) {
            assertThat(Sockets.whoami(s)).isEqualTo("echo");
        }
    }

    private static void stopCleanly(WeirProcess weir) throws Exception {
        weir.signal("TERM");
        assertThat(weir.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(weir.process().exitValue()).as(weir.output()).isZero();
    }
}
