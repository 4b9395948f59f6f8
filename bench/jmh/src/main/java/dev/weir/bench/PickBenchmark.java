package dev.weir.bench;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.Balancer;
import dev.weir.proxy.balance.Balancers;
import dev.weir.proxy.config.BalanceKind;
import java.net.InetAddress;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * {@code Balancer.pick()} with nothing tried, one thread, cycling over 1,024 client addresses.
 * {@code ip-hash-members} is the balancer a pool really uses for ip-hash (table over all members,
 * walking past those not UP: {@code Balancers.create(kind, eligible, members, previous)}); the other kinds
 * come from {@code Balancers.create(kind, eligible)}, as the pool builds them too.
 * {@code pickStartEnd} adds the count changes a short connection makes after its pick.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PickBenchmark {

    @Param({"round-robin", "ip-hash", "ip-hash-members", "least-connections", "random-two"})
    public String balance;

    @Param({"3", "100", "1000"})
    public int backends;

    /** equal: every weight 1; mixed: weights 1, 2, 3 in turn. */
    @Param({"equal"})
    public String weights;

    private static final Collection<Backend> NOTHING_TRIED = List.of();

    private Balancer balancer;
    private InetAddress[] clients;
    private int next;

    @Setup
    public void setUp() {
        List<Backend> list = Fixtures.backends(backends, weights.equals("mixed"));
        balancer = switch (balance) {
            case "ip-hash-members" -> Balancers.create(BalanceKind.IP_HASH, list, list, null);
            default -> Balancers.create(BalanceKind.valueOf(balance.toUpperCase().replace('-', '_')), list);
        };
        clients = Fixtures.clients(1024);
    }

    @Benchmark
    public Backend pick() {
        InetAddress client = clients[next++ & 1023];
        return balancer.pick(client, NOTHING_TRIED);
    }

    /**
     * What balancing costs one short connection: the pick, the count going up when the connection
     * starts and down when it ends. For least-connections this includes moving the backend in its
     * load-ordered heap twice; the other balancers only count.
     */
    @Benchmark
    public Backend pickStartEnd() {
        InetAddress client = clients[next++ & 1023];
        Backend b = balancer.pick(client, NOTHING_TRIED);
        b.tryConnectionStarted();
        b.connectionEnded();
        return b;
    }
}
