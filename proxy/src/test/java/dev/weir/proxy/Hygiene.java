package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.control.Weir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * What a failure path must not leave behind, seen from outside as an operator would see it: the process's open
 * file descriptors back at their baseline, and Weir's event loops idle. Test classes run one at a time in one JVM
 * (no parallel execution is configured), so the process's fd count is the test's own.
 */
final class Hygiene {

    /** The idle interval over which the loops' CPU time is measured. */
    static final Duration IDLE_WINDOW = Duration.ofMillis(600);
    /**
     * All of Weir's loops together may use this much CPU over the window. A spinning loop uses the whole window
     * (600 ms per busy thread), an idle one well under a millisecond: the bound is generous for a loaded machine.
     */
    static final long MAX_IDLE_CPU_NANOS = 150_000_000L;

    private Hygiene() {
    }

    /** One run of a failure path, with its own checks of what the client saw. */
    interface Round {
        void run() throws Exception;
    }

    /**
     * The matrix's shape: runs {@code round} once to warm up (classes loaded, jars opened), takes the fd
     * baseline, runs it {@code rounds} more times, then checks that nothing was left behind.
     */
    static void check(String path, int rounds, Round round) throws Exception {
        round.run();
        int baseline = settledFds();
        for (int i = 0; i < rounds; i++) {
            round.run();
        }
        assertClean(baseline, rounds + " x " + path);
    }

    /** Sockets connecting to {@code port} (state SYN_SENT) in the kernel's table; the port is the test's own. */
    static int connectsInProgress(int port) throws IOException {
        String remote = String.format(":%04X", port);
        int n = 0;
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            if (!Files.exists(Path.of(table))) {
                continue; // no IPv6 in this kernel
            }
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                // sl local_address rem_address st ...; 02 is SYN_SENT
                if (f.length > 3 && f[2].endsWith(remote) && f[3].equals("02")) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Open file descriptors of this process (the listing's own directory handle included, every time alike). */
    static int openFds() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The open fds once they stay the same for a moment: the event loops of a proxy that an earlier test closed
     * free their own descriptors (epoll, eventfd, ring) a little after {@code close()} returns.
     */
    static int settledFds() {
        int[] last = {openFds()};
        await().atMost(Duration.ofSeconds(10)).during(Duration.ofMillis(200)).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    int now = openFds();
                    boolean same = now == last[0];
                    last[0] = now;
                    return same;
                });
        return last[0];
    }

    /** CPU time used so far by Weir's event-loop threads in this JVM, every running proxy together. */
    static long loopCpuNanos() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith("weir-loop")) {
                sum += Math.max(0, mx.getThreadCpuTime(t.getThreadId()));
            }
        }
        return sum;
    }

    /**
     * Waits until the open fds are back at (or below) {@code baselineFds}, then checks that Weir's loops stay
     * idle. Take the baseline after the failure path ran once, so that classes it loads and files it opens for
     * good (jars) are already counted.
     */
    static void assertClean(int baselineFds, String after) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
                assertThat(openFds()).as("open file descriptors after %s (baseline %d)", after, baselineFds)
                        .isLessThanOrEqualTo(baselineFds));
        assertLoopsIdle(after);
    }

    /** Weir's loops use next to no CPU over {@link #IDLE_WINDOW}, as loops with nothing to do must. */
    static void assertLoopsIdle(String after) {
        long before = loopCpuNanos();
        await().pollDelay(Duration.ZERO).during(IDLE_WINDOW).atMost(IDLE_WINDOW.multipliedBy(4))
                .untilAsserted(() -> assertThat(loopCpuNanos() - before)
                        .as("event-loop CPU ns while idle after %s (a spinning loop uses all of it)", after)
                        .isLessThan(MAX_IDLE_CPU_NANOS));
    }
}
