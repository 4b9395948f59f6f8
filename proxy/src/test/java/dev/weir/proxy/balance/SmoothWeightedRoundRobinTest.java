package dev.weir.proxy.balance;

import static dev.weir.proxy.balance.TestBackends.backend;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.Balancer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class SmoothWeightedRoundRobinTest {

    private final Backend a = backend("10.0.0.1:80", 5);
    private final Backend b = backend("10.0.0.2:80", 1);
    private final Backend c = backend("10.0.0.3:80", 1);

    @Test
    void equalWeightsGiveExactCounts() {
        List<Backend> list = List.of(backend("10.0.0.1:80", 1), backend("10.0.0.2:80", 1), backend("10.0.0.3:80", 1));
        Map<Backend, Integer> counts = pickMany(new SmoothWeightedRoundRobin(list), 300);
        assertThat(counts.values()).containsOnly(100);
        assertThat(counts).hasSize(3);
    }

    @Test
    void weightsFiveOneOneInterleaveSmoothly() {
        SmoothWeightedRoundRobin rr = new SmoothWeightedRoundRobin(List.of(a, b, c));
        List<Backend> sequence = new ArrayList<>();
        for (int i = 0; i < 14; i++) {
            sequence.add(rr.pick(null, Set.of()));
        }
        assertThat(sequence).containsExactly(a, a, b, a, c, a, a, a, a, b, a, c, a, a);

        Map<Backend, Integer> counts = pickMany(rr, 700);
        assertThat(counts).containsEntry(a, 500).containsEntry(b, 100).containsEntry(c, 100);
    }

    @Test
    void triedBackendsAreSkipped() {
        SmoothWeightedRoundRobin rr = new SmoothWeightedRoundRobin(List.of(a, b, c));
        // The smooth choice is a; with a tried the next best untried wins.
        assertThat(rr.pick(null, Set.of(a))).isIn(b, c);
        for (int i = 0; i < 50; i++) {
            assertThat(rr.pick(null, List.of(a, c))).isSameAs(b);
        }
        assertThat(rr.pick(null, Set.of(a, b, c))).isNull();
    }

    @Test
    void cycleStaysExactAfterTriedPicks() {
        SmoothWeightedRoundRobin rr = new SmoothWeightedRoundRobin(List.of(a, b, c));
        rr.pick(null, Set.of(a));
        rr.pick(null, Set.of(b, c));
        // Currents still sum to zero, so any full window of 7 picks settles back to 5:1:1.
        Map<Backend, Integer> counts = pickMany(rr, 7_000);
        assertThat(counts.get(a)).isBetween(4_999, 5_001);
        assertThat(counts.get(b)).isBetween(999, 1_001);
        assertThat(counts.get(c)).isBetween(999, 1_001);
    }

    @Test
    void concurrentPicksKeepExactCounts() throws Exception {
        List<Backend> list = new ArrayList<>();
        for (int w = 1; w <= 4; w++) {
            list.add(backend("10.0.1." + w + ":80", w));
        }
        SmoothWeightedRoundRobin rr = new SmoothWeightedRoundRobin(list);
        int threads = 4;
        int perThread = 10_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Map<Backend, Integer>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Callable<Map<Backend, Integer>> task = () -> {
                    start.await();
                    return pickMany(rr, perThread);
                };
                results.add(pool.submit(task));
            }
            start.countDown();
            Map<Backend, Integer> total = new HashMap<>();
            for (Future<Map<Backend, Integer>> f : results) {
                f.get().forEach((k, v) -> total.merge(k, v, Integer::sum));
            }
            for (Backend backend : list) {
                assertThat(total.get(backend)).as("%s", backend).isEqualTo(4_000 * backend.weight());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static Map<Backend, Integer> pickMany(Balancer balancer, int picks) {
        Map<Backend, Integer> counts = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            counts.merge(balancer.pick(null, Set.of()), 1, Integer::sum);
        }
        return counts;
    }
}
