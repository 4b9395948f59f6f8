package dev.weir.proxy.balance;

import static dev.weir.proxy.balance.TestBackends.backend;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.backend.Backend;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    void leastConnectionsSpreadsTies() {
        LeastConnections lc = new LeastConnections(abc);
        Map<Backend, Integer> counts = pickMany(lc, 3_000);
        assertThat(counts).hasSize(3);
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(800, 1_200));
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
