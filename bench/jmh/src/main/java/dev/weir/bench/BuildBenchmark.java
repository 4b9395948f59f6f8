package dev.weir.bench;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.Balancer;
import dev.weir.proxy.balance.Balancers;
import dev.weir.proxy.config.BalanceKind;
import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ConfigException;
import dev.weir.proxy.config.ConfigLoader;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Things done on start and on every reload or state change, not per connection. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class BuildBenchmark {

    @Param({"1000"})
    public int backends;

    private List<Backend> equal;
    private List<Backend> mixed;
    private String yaml;

    @Setup
    public void setUp() {
        equal = Fixtures.backends(backends, false);
        mixed = Fixtures.backends(backends, true);
        yaml = Fixtures.configYaml(backends);
    }

    /** Maglev table (65,537 slots) over equal weights: what ip-hash builds on each change. */
    @Benchmark
    public Balancer maglevBuildEqualWeights() {
        return Balancers.create(BalanceKind.IP_HASH, equal);
    }

    /** The same with weights 1, 2, 3: more population rounds. */
    @Benchmark
    public Balancer maglevBuildMixedWeights() {
        return Balancers.create(BalanceKind.IP_HASH, mixed);
    }

    /** Parse and validate a config whose one pool has {@code backends} backends. */
    @Benchmark
    public Config configLoad() throws ConfigException {
        return ConfigLoader.parse(yaml, Map.of());
    }
}
