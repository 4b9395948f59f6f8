package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.api.ReloadResult;
import dev.weir.proxy.backend.BackendState;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Backends that crash, hang, drain and leave while clients keep coming. Four echo backends are killed and
 * restarted, paused and resumed, drained and enabled, removed and re-added by reload, one at a time at seeded
 * moments, while four client threads make short connections and checked transfers. At the end: no byte
 * corrupted, no operation past its bound, every backend UP with no connection, the fds back at their baseline and
 * the loops idle; Netty's PARANOID detector (LeakCheck, around every test class) reports no leaked buffer.
 *
 * <p>The run prints its seed; {@code -Dweir.chaos.seed=N} replays the same schedule of faults and of client
 * operations (the timing of the machine is not replayed). {@code -Dweir.chaos.seconds} sets its length.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ChaosTest {

    private static final int BACKENDS = 4;
    private static final int CLIENTS = 4;
    private static final int CHUNK = 64 * 1024;
    /** The most one client operation may take: a paused backend holds its clients for at most 1.5 s. */
    private static final Duration OP_BOUND = Duration.ofSeconds(15);

    /** What the clients saw. Corruption and overruns must stay zero; cut operations are what faults cost. */
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong cut = new AtomicLong();
    private final AtomicLong corrupted = new AtomicLong();
    private final AtomicLong overran = new AtomicLong();
    private final AtomicLong bytesChecked = new AtomicLong();
    private final AtomicLong slowestNanos = new AtomicLong();
    private final List<String> faults = new java.util.concurrent.CopyOnWriteArrayList<>();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "nio"})
    void faultsUnderLoadLeaveNothingBehind(String transport) throws Exception {
        assertThat(TransportsSource.available()).as("the chaos test runs on %s", transport).contains(transport);
        long seed = Long.getLong("weir.chaos.seed", System.nanoTime());
        Duration length = Duration.ofSeconds(Long.getLong("weir.chaos.seconds", 40));
        System.out.printf("ChaosTest transport=%s seed=%d seconds=%d (replay: -Dweir.chaos.seed=%d)%n",
                transport, seed, length.toSeconds(), seed);
        List<ChaosBackend> backends = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        ScheduledExecutorService chaos = Executors.newSingleThreadScheduledExecutor();
        try {
            for (int i = 0; i < BACKENDS; i++) {
                backends.add(ChaosBackend.start());
            }
            TestConfig all = config(transport, backends, -1);
            try (RunningWeir proxy = all.start()) {
                await().atMost(Duration.ofSeconds(10)).until(() -> allUpAndIdle(proxy));
                new Client(proxy, new Random(seed)).shortConnection(); // warm-up: classes loaded
                int baselineFds = Hygiene.settledFds();

                long deadline = System.nanoTime() + length.toNanos();
                Faults schedule = new Faults(proxy, backends, transport, new Random(seed ^ 0x5DEECE66DL), chaos, deadline);
                schedule.next();
                List<CompletableFuture<Void>> running = IntStream.range(0, CLIENTS)
                        .mapToObj(i -> CompletableFuture.runAsync(new Client(proxy, new Random(seed + i + 1))
                                .until(deadline), clients))
                        .collect(Collectors.toList());
                CompletableFuture.allOf(running.toArray(new CompletableFuture[0]))
                        .get(length.toSeconds() + OP_BOUND.toSeconds() + 30, TimeUnit.SECONDS);
                schedule.stopped().get(30, TimeUnit.SECONDS);
                System.out.printf("ChaosTest transport=%s completed=%d cut=%d corrupted=%d overran=%d checked=%d MiB"
                                + " slowest=%d ms faults=%d: %s%n", transport, completed.get(), cut.get(), corrupted.get(),
                        overran.get(), bytesChecked.get() >> 20, slowestNanos.get() / 1_000_000, faults.size(), faults);

                assertThat(corrupted.get()).as("operations that received a byte other than the one sent").isZero();
                assertThat(overran.get()).as("operations past %s", OP_BOUND).isZero();
                assertThat(completed.get()).as("operations completed").isGreaterThan(100);
                // A fault and its undo take 0.5-2.3 s: a run of N seconds injects well over N/4.
                assertThat(faults).as("faults injected").hasSizeGreaterThanOrEqualTo((int) length.toSeconds() / 4);
                await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(proxy.weir().backends("p"))
                        .as("every backend UP with no connection").hasSize(BACKENDS)
                        .allSatisfy(b -> {
                            assertThat(b.state()).as(b.id()).isEqualTo(BackendState.UP);
                            assertThat(b.activeConnections()).as(b.id()).isZero();
                        }));
                await().atMost(Duration.ofSeconds(5)).until(() -> proxy.weir().activeConnections() == 0);
                Hygiene.assertClean(baselineFds, "a chaos run with seed " + seed);
            }
        } finally {
            chaos.shutdownNow();
            clients.shutdownNow();
            for (ChaosBackend b : backends) {
                b.close();
            }
        }
    }

    /** Pool "p" over the backends, leaving out the one at {@code without} (-1: none). */
    private static TestConfig config(String transport, List<ChaosBackend> backends, int without) {
        String[] addresses = IntStream.range(0, backends.size()).filter(i -> i != without)
                .mapToObj(i -> backends.get(i).address()).toArray(String[]::new);
        return TestConfig.to(addresses).transport(transport).set("listeners.l.idle-timeout", "10s")
                .set("pools.p.connect-timeout", "500ms").set("pools.p.connect-attempts", 3)
                .set("pools.p.drain-timeout", "1s").set("pools.p.close-spread", "0s")
                .pool("p", p -> p.healthCheck("tcp", "interval", "100ms", "timeout", "100ms", "rise", 1, "fall", 1,
                        "jitter", "0%"));
    }

    private static boolean allUpAndIdle(RunningWeir proxy) {
        return proxy.weir().backends("p").size() == BACKENDS && proxy.weir().backends("p").stream()
                .allMatch(b -> b.state() == BackendState.UP && b.activeConnections() == 0);
    }

    /**
     * One fault at a time, on a backend picked by the seed, undone after a seeded while; the next starts after
     * another. Runs on its own scheduler thread until the deadline, then leaves every backend as it began.
     */
    private final class Faults {
        private final RunningWeir proxy;
        private final List<ChaosBackend> backends;
        private final String transport;
        private final Random random;
        private final ScheduledExecutorService scheduler;
        private final long deadline;
        private final CompletableFuture<Void> stopped = new CompletableFuture<>();

        Faults(RunningWeir proxy, List<ChaosBackend> backends, String transport, Random random, ScheduledExecutorService scheduler,
               long deadline) {
            this.proxy = proxy;
            this.backends = backends;
            this.transport = transport;
            this.random = random;
            this.scheduler = scheduler;
            this.deadline = deadline;
        }

        CompletableFuture<Void> stopped() {
            return stopped;
        }

        void next() {
            scheduler.schedule(this::inject, 200 + random.nextInt(600), TimeUnit.MILLISECONDS);
        }

        private void inject() {
            if (System.nanoTime() > deadline) {
                stopped.complete(null);
                return;
            }
            int i = random.nextInt(BACKENDS);
            ChaosBackend b = backends.get(i);
            String id = b.address();
            int kind = random.nextInt(4);
            long hold = 300 + random.nextInt(1200);
            try {
                Runnable undo = switch (kind) {
                    case 0 -> {
                        b.kill();
                        yield () -> run(b::restart);
                    }
                    case 1 -> {
                        b.pause();
                        yield b::resume;
                    }
                    case 2 -> {
                        proxy.weir().drain("p", id);
                        yield () -> proxy.weir().enable("p", id);
                    }
                    default -> {
                        reload(i);
                        yield () -> reload(-1);
                    }
                };
                faults.add(new String[] {"kill", "pause", "drain", "remove"}[kind] + " b" + i + " " + hold + "ms");
                scheduler.schedule(() -> {
                    try {
                        undo.run();
                        next();
                    } catch (Throwable t) { // an AssertionError too: the test reports it instead of timing out
                        stopped.completeExceptionally(t);
                    }
                }, hold, TimeUnit.MILLISECONDS);
            } catch (Throwable t) {
                stopped.completeExceptionally(t);
            }
        }

        private void reload(int without) {
            try {
                ReloadResult r = proxy.weir().reload(config(transport, backends, without).config());
                assertThat(r.outcome()).as("reload %s", r.errors()).isNotEqualTo(ReloadResult.Outcome.FAILED);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void run(Step step) {
        try {
            step.run();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** One client thread's operations: short connections and checked transfers, seeded. */
    private final class Client {
        private final RunningWeir proxy;
        private final Random random;

        Client(RunningWeir proxy, Random random) {
            this.proxy = proxy;
            this.random = random;
        }

        Runnable until(long deadline) {
            return () -> {
                while (System.nanoTime() < deadline) {
                    long start = System.nanoTime();
                    try {
                        if (random.nextInt(4) == 0) {
                            transfer(4 + random.nextInt(28));
                        } else {
                            shortConnection();
                        }
                        completed.incrementAndGet();
                    } catch (SocketTimeoutException e) {
                        overran.incrementAndGet(); // a read waited the whole bound
                        continue;
                    } catch (IOException e) {
                        cut.incrementAndGet(); // a backend killed or drained under it: the fault's cost, not a bug
                    }
                    long took = System.nanoTime() - start;
                    slowestNanos.accumulateAndGet(took, Math::max);
                    if (took > OP_BOUND.toNanos()) {
                        overran.incrementAndGet();
                    }
                }
            };
        }

        /** A few bytes, a FIN, the same bytes back and the backend's FIN. */
        void shortConnection() throws IOException {
            byte[] sent = new byte[1 + random.nextInt(200)];
            random.nextBytes(sent);
            try (Socket s = open()) {
                s.getOutputStream().write(sent);
                s.shutdownOutput();
                byte[] got = s.getInputStream().readAllBytes();
                if (got.length < sent.length && Arrays.equals(got, 0, got.length, sent, 0, got.length)) {
                    throw new IOException("cut after " + got.length + " of " + sent.length + " bytes");
                }
                check(Arrays.equals(got, sent), got.length);
            }
        }

        /** {@code chunks} pseudo-random chunks, each echoed and compared before the next is sent. */
        void transfer(int chunks) throws IOException {
            byte[] chunk = new byte[CHUNK];
            byte[] back = new byte[CHUNK];
            long seed = random.nextLong();
            try (Socket s = open()) {
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                for (int c = 0; c < chunks; c++) {
                    seed = Sockets.pseudoRandom(chunk, seed);
                    out.write(chunk);
                    int got = 0;
                    while (got < CHUNK) {
                        int n = in.read(back, got, CHUNK - got);
                        if (n < 0) {
                            check(Arrays.equals(back, 0, got, chunk, 0, got), got);
                            throw new IOException("cut mid-transfer");
                        }
                        got += n;
                    }
                    check(Arrays.equals(back, chunk), CHUNK);
                }
                s.shutdownOutput();
                check(in.read() == -1, 0);
            }
        }

        private Socket open() throws IOException {
            Socket s = new Socket();
            s.setSoTimeout((int) OP_BOUND.toMillis());
            s.connect(proxy.address("l"), 5_000);
            return s;
        }

        private void check(boolean same, int bytes) {
            if (same) {
                bytesChecked.addAndGet(bytes);
            } else {
                corrupted.incrementAndGet();
            }
        }
    }
}
