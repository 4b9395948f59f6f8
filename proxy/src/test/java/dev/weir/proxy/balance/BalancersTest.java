package dev.weir.proxy.balance;

import static dev.weir.proxy.balance.TestBackends.backends;
import static dev.weir.proxy.balance.TestBackends.ip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.Balancer;
import dev.weir.proxy.config.BalanceKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(60)
class BalancersTest {

    @ParameterizedTest
    @EnumSource(BalanceKind.class)
    void emptyPoolPicksNothing(BalanceKind kind) {
        assertThat(Balancers.create(kind, List.of()).pick(ip("10.0.0.1"), Set.of())).isNull();
    }

    @ParameterizedTest
    @EnumSource(BalanceKind.class)
    void everyKindPicksAnEligibleBackendAndHonoursTried(BalanceKind kind) {
        List<Backend> eligible = new ArrayList<>(backends(3, 1));
        Balancer balancer = Balancers.create(kind, eligible);
        Backend first = balancer.pick(ip("10.0.0.1"), Set.of());
        assertThat(first).isIn(eligible);
        assertThat(balancer.pick(ip("10.0.0.1"), Set.of(first))).isIn(eligible).isNotSameAs(first);
        assertThat(balancer.pick(ip("10.0.0.1"), Set.copyOf(eligible))).isNull();

        eligible.clear(); // the balancer keeps its own copy
        assertThat(balancer.pick(ip("10.0.0.1"), Set.of())).isNotNull();
    }

    @Test
    void kindsMapToTheirAlgorithms() {
        List<Backend> eligible = backends(2, 1);
        assertThat(Balancers.create(BalanceKind.ROUND_ROBIN, eligible)).isInstanceOf(SmoothWeightedRoundRobin.class);
        assertThat(Balancers.create(BalanceKind.IP_HASH, eligible)).isInstanceOf(Maglev.class);
        assertThat(Balancers.create(BalanceKind.LEAST_CONNECTIONS, eligible)).isInstanceOf(LeastConnections.class);
        assertThat(Balancers.create(BalanceKind.RANDOM_TWO, eligible)).isInstanceOf(RandomTwo.class);
    }
}
