package dev.weir.bench;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import dev.weir.proxy.TextOnly;
import dev.weir.proxy.config.AccessLogConfig;
import dev.weir.proxy.metrics.AccessLog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.openjdk.jmh.infra.Blackhole;
import org.slf4j.LoggerFactory;

/**
 * What the access log costs an event loop per finished connection: the call {@code ListenerTelemetry.recordClose}
 * makes (the entry built, then {@code AccessLog.log}), after a fixed amount of other work per connection
 * ({@code work} tokens of {@link Blackhole#consumeCPU}), so that lines come at a connection rate a writer keeps up
 * with. The log's cost is the difference to {@code log=off}. Lines go through Weir's own pattern to a file
 * ({@code sink=file}, a write per line as the console appender does) or are encoded and thrown away
 * ({@code sink=discard}: the formatting alone).
 *
 * <p>On a shared machine the wall time per operation follows the neighbours' load; each iteration therefore also
 * prints the benchmark thread's own CPU time and allocation per operation ({@code loop_cpu_ns},
 * {@code loop_alloc_bytes}: {@code -prof gc} counts every thread's), and each trial the lines written
 * and dropped and, where there is one, the writer thread's CPU time per line ({@code writer_cpu_ns}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AccessLogBenchmark {

    @Param({"off", "text", "json"})
    public String log;

    @Param({"file", "discard"})
    public String sink;

    @Param({"8000"})
    public long work;

    private AccessLog accessLog;
    private OutputStreamAppender<ILoggingEvent> appender;
    private Path file;
    private SimpleMeterRegistry registry;
    private final InetSocketAddress client = new InetSocketAddress(InetAddress.getLoopbackAddress(), 51234);
    private final long startNanos = System.nanoTime();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private long ops;
    private long cpuAtStart;
    private long allocatedAtStart;
    private long lines;

    @Setup
    public void setUp() throws IOException {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayout layout = new PatternLayout();
        layout.setContext(ctx);
        layout.getInstanceConverterMap().put("textOnly", TextOnly::new);
        layout.setPattern("%textOnly(%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0} ){}%msg%n");
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(ctx);
        encoder.setLayout(layout);
        encoder.start();
        OutputStream out;
        if (sink.equals("file")) {
            file = Files.createTempFile("weir-access", ".log");
            out = new FileOutputStream(file.toFile());
        } else {
            out = OutputStream.nullOutputStream();
        }
        appender = new OutputStreamAppender<>();
        appender.setContext(ctx);
        appender.setEncoder(encoder);
        appender.setOutputStream(out);
        appender.start();
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.addAppender(appender);
        ctx.getLogger("weir.access").setLevel(ch.qos.logback.classic.Level.INFO);
        registry = new SimpleMeterRegistry();
        accessLog = new AccessLog(new AccessLogConfig(!log.equals("off"),
                log.equals("json") ? AccessLogConfig.Format.JSON : AccessLogConfig.Format.TEXT), registry);
    }

    @Setup(Level.Iteration)
    public void iterationStart() {
        ops = 0;
        cpuAtStart = threads.getCurrentThreadCpuTime();
        allocatedAtStart = allocated();
    }

    /** Bytes this thread allocated so far (HotSpot's ThreadMXBean); -1 where the JVM does not say. */
    private long allocated() {
        return threads instanceof com.sun.management.ThreadMXBean t ? t.getCurrentThreadAllocatedBytes() : -1;
    }

    @TearDown(Level.Iteration)
    public void iterationEnd() {
        long cpu = threads.getCurrentThreadCpuTime() - cpuAtStart;
        long bytes = allocated() - allocatedAtStart;
        System.err.printf("log=%s sink=%s loop_cpu_ns=%.0f loop_alloc_bytes=%.0f%n", log, sink,
                (double) cpu / Math.max(1, ops), (double) bytes / Math.max(1, ops));
    }

    @TearDown
    public void tearDown() throws IOException {
        String writerCpu = "-";
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getThreadName().equals("weir-access-log")) {
                writerCpu = String.format("%.0f", (double) threads.getThreadCpuTime(t.getThreadId()) / Math.max(1, lines));
            }
        }
        accessLog.close();
        double dropped = registry.find("weir.access.log.dropped").functionCounter() == null ? 0
                : registry.find("weir.access.log.dropped").functionCounter().count();
        System.err.println("log=" + log + " sink=" + sink + " bytes written=" + (file == null ? "-" : Files.size(file))
                + " lines=" + lines + " dropped=" + (long) dropped + " writer_cpu_ns=" + writerCpu);
        appender.stop();
        if (file != null) {
            Files.deleteIfExists(file);
        }
    }

    /** The rest of a connection's work, then its access-log line as recordClose makes it. */
    @Benchmark
    public void closeConnection() {
        Blackhole.consumeCPU(work);
        ops++;
        if (accessLog.enabled()) {
            lines++;
            long now = System.nanoTime();
            accessLog.log(new AccessLog.Entry("web", client.getAddress().getHostAddress(), client.getPort(), "web",
                    "127.0.0.1:9001", TimeUnit.NANOSECONDS.toMillis(now - startNanos) % 3,
                    TimeUnit.NANOSECONDS.toMillis(now - startNanos), 7, 2, "CLIENT_CLOSED"));
        }
    }
}
