package dev.weir.proxy.balance;

import static dev.weir.proxy.balance.TestBackends.backend;
import static dev.weir.proxy.balance.TestBackends.backends;
import static dev.weir.proxy.balance.TestBackends.ip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.backend.Backend;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(60)
class MaglevTest {

    private static final int M = Maglev.TABLE_SIZE;

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 10, 400})
    void equalWeightsGiveEntryCountsWithinOne(int n) {
        for (int weight : new int[] {1, 7, 1000}) {
            int[] counts = new Maglev(backends(n, weight)).entryCounts();
            int max = IntStream.of(counts).max().orElseThrow();
            int min = IntStream.of(counts).min().orElseThrow();
            assertThat(max - min).as("n=%d weight=%d", n, weight).isLessThanOrEqualTo(1);
            assertThat(IntStream.of(counts).sum()).isEqualTo(M);
        }
    }

    /**
     * "Within 1%": for every backend, its share of the table differs from weight/sum by at most one
     * percentage point (absolute) AND its entry count differs from M·weight/sum by at most 1% of
     * that ideal count (relative).
     */
    @Test
    void weightsAreRespectedWithinOnePercent() {
        assertWeightsRespected(1, 2, 3);
        assertWeightsRespected(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        assertWeightsRespected(1, 1000);
        assertWeightsRespected(10, 10, 20, 50, 100, 100, 250);
    }

    private static void assertWeightsRespected(int... weights) {
        List<Backend> list = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            list.add(backend("10.1.0." + (i + 1) + ":80", weights[i]));
        }
        Maglev maglev = new Maglev(list);
        int[] counts = maglev.entryCounts();
        double sum = IntStream.of(weights).sum();
        for (int i = 0; i < counts.length; i++) {
            Backend b = maglev.backends().get(i);
            double ideal = b.weight() / sum;
            double share = counts[i] / (double) M;
            assertThat(Math.abs(share - ideal)).as("%s share", b).isLessThanOrEqualTo(0.01);
            assertThat(Math.abs(share / ideal - 1)).as("%s relative error", b).isLessThanOrEqualTo(0.01);
        }
    }

    /**
     * Ideal movement is 1.00% (the removed backend's clients). Maglev also reshuffles a little
     * among survivors: research/reliability.md gives 1.50% (simulation) and Katran measures
     * 1009–1020 of 65537 slots (1.54–1.56%). Which backend is removed changes the figure, so this
     * removes each of the 100 in turn: the mean must be at most 1.6%, no single removal above
     * 1.75% (measured: mean 1.58%, range 1.44–1.71% over these 100,000 clients).
     */
    @Test
    void removingOneOfHundredMovesFewClients() {
        List<Backend> all = backends(100, 1);
        Maglev before = new Maglev(all);
        Random random = new Random(20161);
        InetAddress[] clients = new InetAddress[100_000];
        byte[] addr = new byte[4];
        for (int c = 0; c < clients.length; c++) {
            random.nextBytes(addr);
            clients[c] = ip(addr.clone());
        }

        double sum = 0;
        double worst = 0;
        for (Backend removed : all) {
            List<Backend> rest = new ArrayList<>(all);
            rest.remove(removed);
            Maglev after = new Maglev(rest);
            int moved = 0;
            int onRemoved = 0;
            for (InetAddress client : clients) {
                Backend was = before.pick(client, Set.of());
                if (was == removed) {
                    onRemoved++;
                }
                if (was != after.pick(client, Set.of())) {
                    moved++;
                }
            }
            assertThat(moved).as("removed %s", removed).isGreaterThanOrEqualTo(onRemoved);
            double fraction = moved / (double) clients.length;
            sum += fraction;
            worst = Math.max(worst, fraction);
        }
        assertThat(sum / all.size()).as("mean moved fraction").isLessThanOrEqualTo(0.016);
        assertThat(worst).as("worst moved fraction").isLessThanOrEqualTo(0.0175);
    }

    /** Pins the whole construction (sort, credit rounds, preference walk), not just the hash. */
    @Test
    void goldenTable() {
        Maglev maglev = new Maglev(List.of(
                backend("127.0.0.1:9003", 3), backend("127.0.0.1:9001", 1), backend("127.0.0.1:9002", 2)));
        assertThat(Arrays.copyOf(maglev.table(), 12)).containsExactly(0, 2, 2, 2, 0, 2, 2, 2, 2, 2, 2, 1);
        assertThat(Arrays.hashCode(maglev.table())).isEqualTo(-1150655981);
        assertThat(maglev.pick(ip("10.0.0.1"), Set.of()).key()).isEqualTo("127.0.0.1:9002");
        assertThat(maglev.pick(ip("192.168.1.20"), Set.of()).key()).isEqualTo("127.0.0.1:9002");
        assertThat(maglev.pick(ip("2001:db8::1"), Set.of()).key()).isEqualTo("127.0.0.1:9003");
    }

    @Test
    void independentInstancesBuildIdenticalTables() {
        List<Backend> a = new ArrayList<>();
        int[] weights = {3, 1, 7, 1, 2, 9, 5};
        for (int i = 0; i < weights.length; i++) {
            a.add(backend("app-" + i + ".internal:8080", weights[i]));
        }
        List<Backend> b = new ArrayList<>();
        for (Backend x : a) {
            b.add(backend(x.key(), x.weight())); // new objects, same config
        }
        Collections.shuffle(b, new Random(7));
        Maglev one = new Maglev(a);
        Maglev two = new Maglev(b);

        assertThat(keysPerSlot(one)).isEqualTo(keysPerSlot(two));
        Random random = new Random(99);
        byte[] addr = new byte[4];
        for (int c = 0; c < 10_000; c++) {
            random.nextBytes(addr);
            InetAddress client = ip(addr.clone());
            assertThat(two.pick(client, Set.of()).key()).isEqualTo(one.pick(client, Set.of()).key());
        }
    }

    @Test
    void ipv6ClientsSpreadAcrossBackends() {
        Maglev maglev = new Maglev(backends(4, 1));
        Map<Backend, Integer> counts = new HashMap<>();
        Random random = new Random(6);
        byte[] addr = new byte[16];
        for (int c = 0; c < 10_000; c++) {
            random.nextBytes(addr);
            InetAddress client = ip(addr.clone());
            Backend picked = maglev.pick(client, Set.of());
            assertThat(maglev.pick(ip(addr.clone()), Set.of())).isSameAs(picked);
            counts.merge(picked, 1, Integer::sum);
        }
        assertThat(counts).hasSize(4);
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(2_200, 2_800));
        assertThat(maglev.pick(ip("2001:db8::1"), Set.of())).isNotNull();
    }

    @Test
    void sameIpFromDifferentPortsMapsToSameBackend() {
        Maglev maglev = new Maglev(backends(50, 1));
        InetAddress first = new InetSocketAddress("192.0.2.44", 40001).getAddress();
        InetAddress second = new InetSocketAddress("192.0.2.44", 51234).getAddress();
        assertThat(maglev.pick(second, Set.of())).isSameAs(maglev.pick(first, Set.of()));
        // A separately built table over equal config agrees too.
        assertThat(new Maglev(backends(50, 1)).pick(first, Set.of()).key())
                .isEqualTo(maglev.pick(first, Set.of()).key());
    }

    @Test
    void triedWalksForwardToNextUntriedBackend() {
        Maglev maglev = new Maglev(backends(5, 1));
        InetAddress client = ip("198.51.100.7");
        Backend first = maglev.pick(client, Set.of());

        Backend second = maglev.pick(client, Set.of(first));
        assertThat(second).isNotNull().isNotSameAs(first);
        int[] table = maglev.table();
        int slot = Maglev.slotOf(client);
        int step = 0;
        while (maglev.backends().get(table[(slot + step) % M]) == first) {
            step++;
        }
        assertThat(second).isSameAs(maglev.backends().get(table[(slot + step) % M]));

        Backend third = maglev.pick(client, List.of(first, second));
        assertThat(third).isNotNull().isNotIn(first, second);
        assertThat(maglev.pick(client, maglev.backends())).isNull();
    }

    @Test
    void oneBackendTakesTheWholeTable() {
        Maglev maglev = new Maglev(List.of(backend("10.0.0.1:1", 5)));
        assertThat(maglev.entryCounts()).containsExactly(M);
        assertThat(maglev.pick(ip("10.9.9.9"), Set.of())).isNotNull();
        assertThat(maglev.pick(ip("10.9.9.9"), maglev.backends())).isNull();
    }

    private static String[] keysPerSlot(Maglev maglev) {
        int[] table = maglev.table();
        String[] keys = new String[table.length];
        for (int i = 0; i < table.length; i++) {
            keys[i] = maglev.backends().get(table[i]).key();
        }
        return keys;
    }
}
