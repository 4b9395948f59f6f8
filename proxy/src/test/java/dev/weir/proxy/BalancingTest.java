package dev.weir.proxy;

import static dev.weir.proxy.TestConfig.backend;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.sample.BackendSample;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What clients see of each balancer, through real connections to three named backends. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BalancingTest {

    private static final List<BackendSample> backends = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        for (String name : List.of("a", "b", "c")) {
            backends.add(BackendSample.start(name, "127.0.0.1", 0, null));
        }
    }

    @AfterAll
    static void stop() {
        backends.forEach(BackendSample::close);
    }

    private static String addr(int i) {
        return "127.0.0.1:" + backends.get(i).port();
    }

    @Test
    void roundRobinSpreadsSequentialConnectionsEvenly() throws Exception {
        try (RunningWeir proxy = TestConfig.to(addr(0), addr(1), addr(2)).set("pools.p.balance", "round-robin")
                .start()) {
            Map<String, Integer> counts = new ConcurrentHashMap<>();
            for (int i = 0; i < 300; i++) {
                counts.merge(proxy.whoami(), 1, Integer::sum);
            }
            assertThat(counts).containsOnlyKeys("a", "b", "c");
            counts.values().forEach(n -> assertThat(n).isBetween(99, 101));
        }
    }

    @Test
    void roundRobinHonoursWeights() throws Exception {
        TestConfig config = TestConfig.to(backend(addr(0), 1), backend(addr(1), 2), backend(addr(2), 3))
                .set("pools.p.balance", "round-robin");
        try (RunningWeir proxy = config.start()) {
            Map<String, Integer> counts = new ConcurrentHashMap<>();
            for (int i = 0; i < 600; i++) {
                counts.merge(proxy.whoami(), 1, Integer::sum);
            }
            assertThat(counts.get("a")).isBetween(99, 101);
            assertThat(counts.get("b")).isBetween(199, 201);
            assertThat(counts.get("c")).isBetween(299, 301);
        }
    }

    @Test
    void ipHashKeepsEachClientOnItsBackendAndSpreadsClients() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (RunningWeir proxy = TestConfig.to(addr(0), addr(1), addr(2)).set("pools.p.balance", "ip-hash").start()) {
            InetSocketAddress target = proxy.address("l");
            List<Future<String>> perClient = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                // Distinct source addresses in 127.0.0.0/8, all local to the loopback interface.
                String source = "127." + (1 + i / 250 % 250) + "." + (i % 250 + 1) + "." + (7 + i / 62500);
                perClient.add(pool.submit(() -> {
                    String first = null;
                    for (int c = 0; c < 3; c++) {
                        try (Socket s = new Socket()) {
                            s.setSoTimeout(10_000);
                            s.bind(new InetSocketAddress(source, 0));
                            s.connect(target, 5_000);
                            String name = Sockets.whoami(s);
                            if (first == null) {
                                first = name;
                            } else if (!first.equals(name)) {
                                return "MOVED " + source + ": " + first + " then " + name;
                            }
                        }
                    }
                    return first;
                }));
            }
            Map<String, AtomicInteger> clientsPerBackend = new ConcurrentHashMap<>();
            for (Future<String> f : perClient) {
                String name = f.get(60, TimeUnit.SECONDS);
                assertThat(name).doesNotStartWith("MOVED");
                clientsPerBackend.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
            }
            assertThat(clientsPerBackend).containsOnlyKeys("a", "b", "c");
            // An even share is 333.3; each backend within +-15% of it.
            clientsPerBackend.values().forEach(n -> assertThat(n.get()).isBetween(284, 383));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void leastConnectionsAndRandomTwoServeEveryClient() throws Exception {
        for (String balance : List.of("least-connections", "random-two")) {
            try (RunningWeir proxy = TestConfig.to(addr(0), addr(1), addr(2)).set("pools.p.balance", balance)
                    .start()) {
                // Hold one connection on whichever backend gets it; the next ones must avoid the loaded backend.
                try (Socket held = proxy.connect()) {
                    String busy = Sockets.whoami(held);
                    Map<String, Integer> counts = new ConcurrentHashMap<>();
                    for (int i = 0; i < 60; i++) {
                        counts.merge(proxy.whoami(), 1, Integer::sum);
                        // The finished connection must be gone from the counts before the next pick.
                        org.awaitility.Awaitility.await().until(() -> proxy.weir().pool("p").members().stream()
                                .mapToInt(dev.weir.proxy.backend.Backend::activeConnections).sum() == 1);
                    }
                    if (balance.equals("least-connections")) {
                        // The two idle backends tie at 0 after every connection and take turns.
                        assertThat(counts).as(balance).doesNotContainKey(busy).hasSize(2);
                        assertThat(counts.values()).as(balance).containsOnly(30);
                    }
                    assertThat(counts.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(60);
                }
            }
        }
    }
}
