package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Backend connects while the process has no file descriptor to spare (as under a low {@code ulimit -n}): the
 * client is closed, and once descriptors are free again nothing was left behind and Weir serves as before.
 *
 * <p>The test lowers this JVM's own soft fd limit with {@code prlimit} (util-linux), fills it up but for the two
 * descriptors one client needs (its own socket and the one Weir accepts), so that the backend socket is the one
 * refused, and restores the limit before it checks.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FdExhaustionHygieneTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void connectsWithoutAFreeDescriptorCloseTheClientAndLeaveNothing(String transport) throws Exception {
        BackendSample live = BackendSample.start("a", "127.0.0.1", 0, null);
        try (Weir weir = Harness.start(Harness.config(transport, "", "connect-attempts: 2",
                "127.0.0.1:" + live.port()))) {
            assertThat(Harness.whoami(weir)).isEqualTo("a");
            int baseline = Hygiene.settledFds();
            long soft = softLimit();
            List<FileChannel> filler = new ArrayList<>();
            setSoftLimit(baseline + 64);
            try {
                for (int round = 0; round < 10; round++) {
                    // Descriptors that a proxy's teardown or a NIO close frees late are filled too, before each round.
                    await().atMost(Duration.ofSeconds(10)).during(Duration.ofMillis(150))
                            .until(() -> leaveFree(filler, 2));
                    try (Socket client = new Socket()) {
                        client.setSoTimeout(10_000);
                        client.connect(weir.listenerAddress("l"), 5_000);
                        client.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
                        assertThat(Harness.closedByPeer(client)).as("round %d: closed unanswered", round).isTrue();
                    }
                }
            } finally {
                for (FileChannel f : filler) {
                    f.close();
                }
                setSoftLimit(soft);
            }
            double noSocket = weir.metrics().registry().find("weir.connect.failures").counters().stream()
                    .mapToDouble(c -> c.count()).sum();
            assertThat(noSocket).as("connects that got no socket").isGreaterThanOrEqualTo(10);
            Hygiene.assertClean(baseline, "10 clients whose backend connect got no descriptor");
            assertThat(Harness.whoami(weir)).isEqualTo("a");
        } finally {
            live.close();
        }
    }

    /**
     * Opens descriptors into {@code filler} until exactly {@code free} are left; true when that many were free
     * already, false when some had to be filled or are still taken (a socket whose close is not done yet).
     */
    private static boolean leaveFree(List<FileChannel> filler, int free) throws IOException {
        List<FileChannel> probe = new ArrayList<>();
        try {
            while (probe.size() <= free + 100) {
                probe.add(FileChannel.open(Path.of("/dev/null")));
            }
            throw new AssertionError("over 100 descriptors free under the lowered limit");
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("Too many open files")) {
                throw e;
            }
        }
        boolean exact = probe.size() == free;
        while (probe.size() > free) {
            filler.add(probe.remove(probe.size() - 1));
        }
        for (FileChannel f : probe) {
            f.close();
        }
        return exact;
    }

    private static long softLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                return Long.parseLong(line.substring("Max open files".length()).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException("no 'Max open files' line in /proc/self/limits");
    }

    private static void setSoftLimit(long soft) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("prlimit", "--pid", Long.toString(ProcessHandle.current().pid()),
                "--nofile=" + soft + ":").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("prlimit: %s", out).isZero();
        assertThat(softLimit()).isEqualTo(soft);
    }
}
