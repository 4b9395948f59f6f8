package dev.weir.proxy.balance;

import static dev.weir.proxy.balance.TestBackends.backend;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.Balancer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** least-connections and random-two. */
@Timeout(60)
class LoadAwareBalancersTest {

    private final Backend a = backend("10.0.0.1:80", 1);
    private final Backend b = backend("10.0.0.2:80", 1);
    private final Backend c = backend("10.0.0.3:80", 1);
    private final List<Backend> abc = List.of(a, b, c);

    private static void load(Backend backend, int connections) {
        for (int i = 0; i < connections; i++) {
            backend.connectionStarted();
        }
    }

    @Test
    void leastConnectionsPrefersFewestConnections() {
        load(a, 2);
        load(c, 1);
        LeastConnections lc = new LeastConnections(abc);
        for (int i = 0; i < 100; i++) {
            assertThat(lc.pick(null, Set.of())).isSameAs(b);
        }
        assertThat(lc.pick(null, Set.of(b))).isSameAs(c);
        assertThat(lc.pick(null, Set.of(b, c))).isSameAs(a);
        assertThat(lc.pick(null, Set.of(a, b, c))).isNull();
    }

    @Test
    void leastConnectionsWeighsConnectionsByWeight() {
        Backend heavy = backend("10.0.0.9:80", 4);
        load(heavy, 3); // 3/4
        load(a, 1); // 1/1
        assertThat(new LeastConnections(List.of(a, heavy)).pick(null, Set.of())).isSameAs(heavy);
    }

    @Test
    void leastConnectionsTakesTiesInTurn() {
        // Short connections: each pick starts a connection that ends before the next pick, so all
        // three stay tied at 0 and take connections in turn.
        LeastConnections lc = new LeastConnections(abc);
        List<Backend> order = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            Backend picked = lc.pick(null, Set.of());
            assertThat(picked.tryConnectionStarted()).isTrue();
            picked.connectionEnded();
            order.add(picked);
        }
        assertThat(order.subList(0, 3)).containsExactlyInAnyOrder(a, b, c);
        assertThat(order.subList(3, 6)).isEqualTo(order.subList(0, 3));
        assertThat(order.subList(6, 9)).isEqualTo(order.subList(0, 3));
    }

    @Test
    void leastConnectionsFollowsCountsAsConnectionsStartAndEnd() {
        LeastConnections lc = new LeastConnections(abc);
        // Long connections: picks spread to 2 each, evenly.
        Map<Backend, Integer> counts = new HashMap<>();
        for (int i = 0; i < 6; i++) {
            Backend picked = lc.pick(null, Set.of());
            picked.connectionStarted();
            counts.merge(picked, 1, Integer::sum);
        }
        assertThat(counts).containsOnly(Map.entry(a, 2), Map.entry(b, 2), Map.entry(c, 2));
        // b's connections end: b is the least loaded until it has caught up.
        b.connectionEnded();
        b.connectionEnded();
        assertThat(lc.pick(null, Set.of())).isSameAs(b);
        b.connectionStarted();
        assertThat(lc.pick(null, Set.of())).isSameAs(b);
        b.connectionStarted();
        assertThat(lc.pick(null, Set.of())).isIn(a, b, c);
        load(a, 5);
        load(c, 5);
        assertThat(lc.pick(null, Set.of())).isSameAs(b);
        assertThat(lc.pick(null, Set.of(b))).isIn(a, c);
    }

    @Test
    void leastConnectionsMatchesAFullScanUnderRandomLoad() {
        Random random = new Random(42);
        List<Backend> pool = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            pool.add(backend("10.0.1." + i + ":80", 1 + random.nextInt(5)));
        }
        LeastConnections lc = new LeastConnections(pool);
        for (int step = 0; step < 5_000; step++) {
            Backend x = pool.get(random.nextInt(pool.size()));
            if (x.activeConnections() > 0 && random.nextBoolean()) {
                x.connectionEnded();
            } else {
                x.connectionStarted();
            }
            Set<Backend> tried = new HashSet<>();
            for (int t = random.nextInt(4); t > 0; t--) {
                tried.add(pool.get(random.nextInt(pool.size())));
            }
            Backend picked = lc.pick(null, tried);
            assertThat(tried).doesNotContain(picked);
            Backend best = pool.stream().filter(p -> !tried.contains(p))
                    .min((p, q) -> LeastConnections.compareLoad(p.activeConnections(), p.weight(),
                            q.activeConnections(), q.weight()))
                    .orElseThrow();
            assertThat(LeastConnections.compareLoad(picked.activeConnections(), picked.weight(),
                    best.activeConnections(), best.weight()))
                    .as("step %d: picked %s, a least loaded one is %s", step, picked, best)
                    .isZero();
        }
    }

    @Test
    void onlyTheNewestLeastConnectionsBalancerIsToldOfLoadChanges() {
        LeastConnections old = new LeastConnections(abc);
        LeastConnections current = new LeastConnections(List.of(a, b));
        load(a, 3);
        assertThat(current.pick(null, Set.of())).isSameAs(b);
        // The replaced balancer no longer hears about a (it still sees a, b and c tied at 0 and
        // a first): a pool's old balancer costs nothing once a new one is built.
        assertThat(old.pick(null, Set.of())).isSameAs(a);
    }

    @Test
    void randomTwoNeverPicksTheBusiestOfSeveral() {
        load(b, 1);
        load(c, 5);
        RandomTwo r2 = new RandomTwo(abc);
        Map<Backend, Integer> counts = pickMany(r2, 3_000);
        assertThat(counts).doesNotContainKey(c);
        // a wins every draw it is in (2 of 3 pairs); b only the b-c pair.
        assertThat(counts.get(a)).isBetween(1_800, 2_200);
    }

    @Test
    void randomTwoPrefersLowerLoadPerWeight() {
        Backend heavy = backend("10.0.0.9:80", 10);
        load(heavy, 5); // 0.5 per weight
        load(a, 1); // 1 per weight
        RandomTwo r2 = new RandomTwo(List.of(a, heavy));
        for (int i = 0; i < 100; i++) {
            assertThat(r2.pick(null, Set.of())).isSameAs(heavy);
        }
    }

    @Test
    void randomTwoSkipsTried() {
        RandomTwo r2 = new RandomTwo(abc);
        for (int i = 0; i < 100; i++) {
            assertThat(r2.pick(null, Set.of(a))).isIn(b, c);
            assertThat(r2.pick(null, List.of(a, c))).isSameAs(b);
        }
        assertThat(r2.pick(null, Set.of(a, b, c))).isNull();
        assertThat(new RandomTwo(List.of(a)).pick(null, Set.of())).isSameAs(a);
    }

    @Test
    void randomTwoSpreadsEvenlyUnderEqualLoad() {
        Backend d = backend("10.0.0.4:80", 1);
        Map<Backend, Integer> counts = pickMany(new RandomTwo(List.of(a, b, c, d)), 10_000);
        assertThat(counts).hasSize(4);
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(2_200, 2_800));
    }

    private static Map<Backend, Integer> pickMany(Balancer balancer, int picks) {
        Map<Backend, Integer> counts = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            counts.merge(balancer.pick(null, Set.of()), 1, Integer::sum);
        }
        return counts;
    }
}
