package dev.weir.bench;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.balance.Balancers;
import dev.weir.proxy.config.ConfigException;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.proxy.config.PoolConfig;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What one backend state change costs a pool: a drain and the enable that undoes it, each of which publishes a new
 * snapshot (the health checker's DOWN and UP cost the same). ip-hash is the balancer whose table is large.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class StateChangeBenchmark {

    @Param({"1000"})
    public int backends;

    @Param({"ip-hash", "round-robin"})
    public String balance;

    private EventLoopGroup timers;
    private BackendPool pool;
    private Backend target;

    @Setup(Level.Trial)
    public void setUp() throws ConfigException {
        List<Backend> list = Fixtures.backends(backends, false);
        PoolConfig config = ConfigLoader.parse(Fixtures.configYaml(backends).replace("ip-hash", balance), Map.of())
                .pools().get("web");
        timers = new DefaultEventLoopGroup(1);
        pool = new BackendPool(config, list, timers.next(), Balancers::create);
        target = list.get(backends / 2);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        timers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** Two state changes: DRAINING, then UP again. */
    @Benchmark
    public BackendPool.Snapshot drainAndEnable() {
        pool.drain(target);
        pool.enable(target);
        return pool.snapshot();
    }
}
