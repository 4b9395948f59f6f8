package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.api.ReloadResult;
import dev.weir.sample.BackendSample;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Hot reload: applied in place under load without a failed or corrupted client connection. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReloadTest {

    private static final List<BackendSample> backends = new ArrayList<>();

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        for (int i = 1; i <= 4; i++) {
            backends.add(BackendSample.start("b" + i, "127.0.0.1", 0, null));
        }
    }

    @AfterAll
    static void stop() {
        backends.forEach(BackendSample::close);
    }

    private static String addr(int i) {
        return "127.0.0.1:" + backends.get(i - 1).port();
    }

    /** A config whose listener "l" keeps its address across reloads. */
    private static TestConfig config(int port, String balance, Object... backends) {
        return TestConfig.to(backends).set("listeners.l.bind", "127.0.0.1:" + port)
                .pool("p", p -> p.set("balance", balance).set("drain-timeout", "1m"));
    }

    private static RunningWeir startFromFile(Path file, TestConfig config) throws Exception {
        return RunningWeir.with(config).file(file).start();
    }

    @Test
    void reloadsUnderLoadLoseNoConnectionAndCorruptNoByte() throws Exception {
        Path file = dir.resolve("weir.yaml");
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService threads = Executors.newFixedThreadPool(20);
        try (RunningWeir proxy = startFromFile(file, config(0, "round-robin", addr(1), addr(2)))) {
            int port = proxy.address("l").getPort();
            List<Object[]> variants = List.of(
                    new Object[] {addr(1), addr(2)},
                    new Object[] {addr(2), TestConfig.backend(addr(3), 3)},
                    new Object[] {addr(3), addr(4)},
                    new Object[] {TestConfig.backend(addr(1), 2), addr(4)},
                    new Object[] {addr(1), addr(2), addr(3), addr(4)});
            AtomicInteger failures = new AtomicInteger();
            AtomicLong exchanges = new AtomicLong();
            List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<CompletableFuture<Void>> clients = new ArrayList<>();
            for (int c = 0; c < 20; c++) {
                Random random = new Random(c);
                clients.add(CompletableFuture.runAsync(() -> {
                    while (running.get()) {
                        byte[] data = new byte[1 + random.nextInt(16 * 1024)];
                        random.nextBytes(data);
                        for (int i = 0; i < data.length; i++) {
                            if (data[i] == '\n') {
                                data[i] = 'n';
                            }
                        }
                        try (Socket s = Sockets.connect(new InetSocketAddress("127.0.0.1", port))) {
                            s.getOutputStream().write(data);
                            s.shutdownOutput();
                            byte[] back = s.getInputStream().readAllBytes();
                            if (!java.util.Arrays.equals(back, data)) {
                                failures.incrementAndGet();
                                problems.add("corrupted: sent " + data.length + " got " + back.length);
                            }
                            exchanges.incrementAndGet();
                        } catch (Exception e) {
                            failures.incrementAndGet();
                            problems.add(e.toString());
                        }
                    }
                }, threads));
            }
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            int reloads = 0;
            while (reloads < 10) {
                Object[] v = variants.get((reloads + 1) % variants.size());
                config(port, "round-robin", v).writeTo(file);
                ReloadResult r = proxy.weir().reloadFromFile();
                assertThat(r.outcome()).as(r.toString()).isEqualTo(ReloadResult.Outcome.RELOADED);
                reloads++;
                // Spread the 10 reloads over the 20 seconds of load.
                long next = System.nanoTime() + Duration.ofMillis(1800).toNanos();
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> System.nanoTime() >= next);
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> System.nanoTime() >= end);
            running.set(false);
            for (CompletableFuture<Void> c : clients) {
                c.get(30, TimeUnit.SECONDS);
            }
            assertThat(problems).isEmpty();
            assertThat(failures.get()).isZero();
            assertThat(exchanges.get()).isGreaterThan(200);
        } finally {
            running.set(false);
            threads.shutdownNow();
        }
    }

    @Test
    void anInvalidReloadKeepsTheOldConfigServing() throws Exception {
        Path file = dir.resolve("weir.yaml");
        try (RunningWeir proxy = startFromFile(file, config(0, "round-robin", addr(1)))) {
            config(0, "round-robin", addr(2)).set("listeners.l.pool", "nope").writeTo(file);
            ReloadResult r = proxy.weir().reloadFromFile();
            assertThat(r.outcome()).isEqualTo(ReloadResult.Outcome.FAILED);
            assertThat(r.errors()).isNotEmpty().anyMatch(e -> e.contains("listeners.l.pool"));
            assertThat(proxy.whoami()).isEqualTo("b1");
            assertThat(proxy.metrics().registry().find("weir.reloads").tag("result", "FAILED").counter().count()).isEqualTo(1.0);
        }
    }

    @Test
    void anIdenticalFileIsUnchangedAndNewListenersAndPoolsStart() throws Exception {
        Path file = dir.resolve("weir.yaml");
        try (RunningWeir proxy = startFromFile(file, config(0, "round-robin", addr(1)))) {
            int port = proxy.address("l").getPort();
            config(port, "round-robin", addr(1)).writeTo(file);
            assertThat(proxy.weir().reloadFromFile().outcome()).isEqualTo(ReloadResult.Outcome.UNCHANGED);

            config(port, "round-robin", addr(1)).listener("m", "q").pool("q", addr(2)).writeTo(file);
            ReloadResult r = proxy.weir().reloadFromFile();
            assertThat(r.outcome()).as(r.toString()).isEqualTo(ReloadResult.Outcome.RELOADED);
            assertThat(r.changes()).anyMatch(c -> c.contains("pool q: added")).anyMatch(c -> c.contains("listener m: added"));
            try (Socket s = Sockets.connect(proxy.address("m"))) {
                assertThat(Sockets.whoami(s)).isEqualTo("b2");
            }
            assertThat(proxy.whoami()).isEqualTo("b1");

            // Remove listener m: it stops accepting; l goes on.
            int mPort = proxy.address("m").getPort();
            config(port, "round-robin", addr(1)).writeTo(file);
            assertThat(proxy.weir().reloadFromFile().changes()).anyMatch(c -> c.contains("listener m: removed"));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Socket("127.0.0.1", mPort).close())
                    .isInstanceOf(java.io.IOException.class);
            assertThat(proxy.whoami()).isEqualTo("b1");
        }
    }

    @Test
    void aChangedMaxReadIsKeptUntilRestartAndSaysSo() throws Exception {
        assertKeptUntilRestart(c -> c, c -> c.set("max-read", "1MiB"), "max-read: kept 256KiB until restart");
    }

    @Test
    void aChangedEventLoopSpinIsKeptUntilRestartAndSaysSo() throws Exception {
        assertKeptUntilRestart(c -> c.set("event-loop-spin", "20us"), c -> c.set("event-loop-spin", "0s"),
                "event-loop-spin: kept 20us until restart");
    }

    /**
     * A top-level setting changed from {@code before} to {@code after} is reported, and the proxy still serves; a
     * file that then goes back to {@code before} (what runs) reports nothing about it.
     */
    private void assertKeptUntilRestart(UnaryOperator<TestConfig> before, UnaryOperator<TestConfig> after, String said)
            throws Exception {
        Path file = dir.resolve("weir.yaml");
        try (RunningWeir proxy = startFromFile(file, before.apply(config(0, "round-robin", addr(1))))) {
            int port = proxy.address("l").getPort();
            after.apply(config(port, "round-robin", addr(1))).writeTo(file);
            ReloadResult r = proxy.weir().reloadFromFile();
            assertThat(r.changes()).as(r.toString()).contains(said);
            assertThat(proxy.whoami()).isEqualTo("b1");

            before.apply(config(port, "round-robin", addr(1), addr(2))).writeTo(file);
            ReloadResult back = proxy.weir().reloadFromFile();
            assertThat(back.changes()).as(back.toString()).noneMatch(c -> c.contains("until restart"));
        }
    }

    @Test
    void aChangedListenerAddressIsRebound() throws Exception {
        Path file = dir.resolve("weir.yaml");
        try (RunningWeir proxy = startFromFile(file, config(0, "round-robin", addr(1)))) {
            int oldPort = proxy.address("l").getPort();
            config(0, "round-robin", addr(1)).set("listeners.l.bind", "127.0.0.2:0").writeTo(file);
            ReloadResult r = proxy.weir().reloadFromFile();
            assertThat(r.changes()).anyMatch(c -> c.contains("listener l: rebound"));
            InetSocketAddress now = proxy.address("l");
            assertThat(now.getAddress().getHostAddress()).isEqualTo("127.0.0.2");
            try (Socket s = Sockets.connect(now)) {
                assertThat(Sockets.whoami(s)).isEqualTo("b1");
            }
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Socket("127.0.0.1", oldPort).close())
                    .isInstanceOf(java.io.IOException.class);
        }
    }

    @Test
    void ipHashClientsOfBackendsThatStayKeepTheirBackend() throws Exception {
        Path file = dir.resolve("weir.yaml");
        try (RunningWeir proxy = startFromFile(file, config(0, "ip-hash", addr(1), addr(2), addr(3)))) {
            int port = proxy.address("l").getPort();
            Map<String, String> before = new HashMap<>();
            for (int i = 0; i < 300; i++) {
                String source = "127.9." + (i / 200) + "." + (i % 200 + 1);
                before.put(source, whoamiFrom(source, port));
            }
            // Draining b2 moves only b2's clients; enabling it again brings exactly them back.
            proxy.weir().drain("p", addr(2));
            for (Map.Entry<String, String> e : before.entrySet()) {
                String now = whoamiFrom(e.getKey(), port);
                if (e.getValue().equals("b2")) {
                    assertThat(now).isNotEqualTo("b2");
                } else {
                    assertThat(now).as(e.getKey()).isEqualTo(e.getValue());
                }
            }
            proxy.weir().enable("p", addr(2));
            for (Map.Entry<String, String> e : before.entrySet()) {
                assertThat(whoamiFrom(e.getKey(), port)).as(e.getKey()).isEqualTo(e.getValue());
            }

            // A reload that changes settings only: nobody moves.
            config(port, "ip-hash", addr(1), addr(2), addr(3)).set("pools.p.drain-timeout", "2m").writeTo(file);
            assertThat(proxy.weir().reloadFromFile().outcome()).isEqualTo(ReloadResult.Outcome.RELOADED);
            int moved = 0;
            for (Map.Entry<String, String> e : before.entrySet()) {
                if (!whoamiFrom(e.getKey(), port).equals(e.getValue())) {
                    moved++;
                }
            }
            assertThat(moved).isZero();

            // Remove b3: its clients move; clients of b1 and b2 stay (Maglev moves a measured 0.03% of
            // them for 3 backends, so allow 1%).
            config(port, "ip-hash", addr(1), addr(2)).set("pools.p.drain-timeout", "2m").writeTo(file);
            assertThat(proxy.weir().reloadFromFile().outcome()).isEqualTo(ReloadResult.Outcome.RELOADED);
            int staying = 0;
            moved = 0;
            for (Map.Entry<String, String> e : before.entrySet()) {
                String now = whoamiFrom(e.getKey(), port);
                assertThat(now).isNotEqualTo("b3");
                if (!e.getValue().equals("b3")) {
                    staying++;
                    if (!now.equals(e.getValue())) {
                        moved++;
                    }
                }
            }
            assertThat(staying).isGreaterThan(100);
            assertThat(moved).isLessThanOrEqualTo((staying + 99) / 100); // 1%, rounded up: 2 of 199 is within
        }
    }

    private static String whoamiFrom(String source, int port) throws Exception {
        try (Socket s = new Socket()) {
            s.setSoTimeout(10_000);
            s.bind(new InetSocketAddress(source, 0));
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            return Sockets.whoami(s);
        }
    }
}
