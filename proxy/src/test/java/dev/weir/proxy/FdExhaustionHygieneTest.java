package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * Weir with no file descriptor to spare (as under a low {@code ulimit -n}): a backend connect that gets no socket
 * closes its client, an accept that gets none pauses accepting without a busy loop, and once descriptors are free
 * again nothing was left behind and Weir serves as before.
 *
 * <p>The test lowers this JVM's own soft fd limit with {@code prlimit} (util-linux), fills it up but for the few
 * descriptors a step needs, and restores the limit before it checks.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FdExhaustionHygieneTest {

    /** Two free: the client's own socket and the one Weir accepts, so that the backend socket is the one refused. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void connectsWithoutAFreeDescriptorCloseTheClientAndLeaveNothing(String transport) throws Exception {
        BackendSample live = BackendSample.start("a", "127.0.0.1", 0, null);
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + live.port()).transport(transport)
                .set("pools.p.connect-attempts", 2).start()) {
            assertThat(proxy.whoami()).isEqualTo("a");
            int baseline = Hygiene.settledFds();
            try (Exhausted fds = Exhausted.below(baseline)) {
                for (int round = 0; round < 10; round++) {
                    fds.leave(2);
                    try (Socket client = client(proxy)) {
                        assertThat(Sockets.closedByPeer(client)).as("round %d: closed unanswered", round).isTrue();
                    }
                }
            }
            assertThat(proxy.counted("weir.connect.failures")).as("connects that got no socket")
                    .isGreaterThanOrEqualTo(10);
            Hygiene.assertClean(baseline, "10 clients whose backend connect got no descriptor");
            assertThat(proxy.whoami()).isEqualTo("a");
        } finally {
            live.close();
        }
    }

    /**
     * One free, which the client's socket takes: Weir's accept fails, pauses, and succeeds once fds are back. Not
     * on io_uring: there the accept got a descriptor although none was free under the limit this test lowers while
     * the process runs (seen here: the client was accepted and its backend connect got no socket), so the case
     * cannot be made this way; the backend-connect case above runs on io_uring too.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("acceptLimitedTransports")
    void anAcceptWithoutADescriptorPausesWithoutSpinningAndRecovers(String transport) throws Exception {
        BackendSample live = BackendSample.start("a", "127.0.0.1", 0, null);
        Logger limiter = (Logger) LoggerFactory.getLogger("dev.weir.proxy.relay.ConnectionLimiter");
        ListAppender<ILoggingEvent> warnings = new ListAppender<>();
        warnings.start();
        limiter.addAppender(warnings);
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + live.port()).transport(transport).start()) {
            assertThat(proxy.whoami()).isEqualTo("a");
            int baseline = Hygiene.settledFds();
            Socket client;
            try (Exhausted fds = Exhausted.below(baseline)) {
                fds.leave(1);
                client = client(proxy);
                await().atMost(Duration.ofSeconds(10)).until(() -> warnings.list.stream()
                        .anyMatch(e -> e.getFormattedMessage().startsWith("accept failed")));
                Hygiene.assertLoopsIdle("an accept that failed for want of a descriptor");
            }
            try (client) {
                assertThat(Sockets.readLine(client.getInputStream())).as("served once descriptors are back")
                        .isEqualTo("a");
            }
            Hygiene.assertClean(baseline, "an accept that failed and was retried");
        } finally {
            limiter.detachAppender(warnings);
            live.close();
        }
    }

    static java.util.stream.Stream<String> acceptLimitedTransports() {
        return TransportsSource.available().filter(t -> !t.equals("io_uring"));
    }

    /** A connected client that has sent its whoami (the connect itself is the kernel's: it needs no accept). */
    private static Socket client(RunningWeir proxy) throws IOException {
        Socket client = new Socket();
        client.setSoTimeout(10_000);
        client.connect(proxy.address("l"), 5_000);
        client.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
        return client;
    }

    /**
     * Loads every class of Weir and of these tests, before the descriptors run out. A class read from a directory
     * (target/classes, as Maven runs the tests) takes a descriptor while it is read: one first needed on a failure
     * path would take the descriptor a step left free, or fail to load (NoClassDefFoundError), when this class runs
     * alone. Weir run from its jar reads classes through the jar it holds open.
     */
    private static void loadEveryClass() throws IOException {
        ClassLoader loader = FdExhaustionHygieneTest.class.getClassLoader();
        for (Class<?> anchor : List.of(dev.weir.proxy.control.Weir.class, FdExhaustionHygieneTest.class)) {
            Path root;
            try {
                root = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            } catch (java.net.URISyntaxException e) {
                throw new IOException(e);
            }
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : (Iterable<Path>) files.filter(x -> x.toString().endsWith(".class"))::iterator) {
                    String name = root.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
                    if (name.endsWith("module-info") || name.endsWith("package-info")) {
                        continue;
                    }
                    try {
                        Class.forName(name, false, loader);
                    } catch (ClassNotFoundException | LinkageError e) {
                        // only a head start: a class that cannot load here is not one this test reaches
                    }
                }
            }
        }
    }

    /** This process under a lowered soft fd limit, filled up; closing frees every filler and restores the limit. */
    private static final class Exhausted implements AutoCloseable {
        private final long soft;
        private final List<FileChannel> filler = new ArrayList<>();

        private Exhausted(long soft) {
            this.soft = soft;
        }

        /** Room for 64 more than {@code fds} (prlimit's own pipes need some), then filled by {@link #leave}. */
        static Exhausted below(int fds) throws IOException, InterruptedException {
            loadEveryClass();
            Exhausted e = new Exhausted(softLimit());
            setSoftLimit(fds + 64);
            return e;
        }

        /**
         * Fills descriptors until exactly {@code free} are left, and waits until that holds for a moment: a
         * proxy's teardown, a NIO close or an io_uring close can free one a little later.
         */
        void leave(int free) {
            await().atMost(Duration.ofSeconds(10)).during(Duration.ofMillis(150)).until(() -> exactlyFree(free));
        }

        /** True when exactly {@code free} descriptors were free; fills any beyond that. */
        private boolean exactlyFree(int free) throws IOException {
            List<FileChannel> probe = new ArrayList<>();
            try {
                while (true) {
                    probe.add(FileChannel.open(Path.of("/dev/null")));
                    assertThat(probe.size()).as("descriptors free under the lowered limit").isLessThan(200);
                }
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

        @Override
        public void close() throws IOException, InterruptedException {
            for (FileChannel f : filler) {
                f.close();
            }
            setSoftLimit(soft);
        }
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
        String out;
        // Closed here, not by the garbage collector at some later moment: that would free descriptors mid-test.
        try (var toChild = p.getOutputStream(); var fromChild = p.getInputStream()) {
            out = new String(fromChild.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("prlimit (util-linux): %s", out).isZero();
        assertThat(softLimit()).isEqualTo(soft);
    }
}
