package dev.weir.sample;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * A small TCP server to put behind Weir. Per connection it answers a {@code whoami} line with its
 * name, echoes every other byte, optionally speaks first with a banner, and honours half-close:
 * after the client's FIN it finishes the echo, then sends its own FIN.
 *
 * <pre>java -jar backend-sample.jar --name NAME --port PORT [--host H] [--banner TEXT]</pre>
 */
public final class BackendSample implements AutoCloseable {

    // Each loop opens a selector up front; tests start many samples, and an echo needs few threads.
    private static final int OWN_THREADS = Math.min(4, Runtime.getRuntime().availableProcessors());

    private final String name;
    private final Channel serverChannel;
    private final ChannelGroup connections;
    private final LongAdder accepted;
    private final EventLoopGroup ownGroup;
    private final AtomicBoolean closed = new AtomicBoolean();

    private BackendSample(String name, Channel serverChannel, ChannelGroup connections, LongAdder accepted,
                          EventLoopGroup ownGroup) {
        this.name = name;
        this.serverChannel = serverChannel;
        this.connections = connections;
        this.accepted = accepted;
        this.ownGroup = ownGroup;
    }

    /**
     * Starts a sample on an event loop group of its own, which {@link #close()} shuts down.
     *
     * @param port 0 for any free port; see {@link #port()}
     * @param bannerOrNull sent on connect, with {@code \n} appended unless it ends with one
     * @return once listening
     * @throws IllegalArgumentException if the name is empty or has a line break, or the port is out of range
     * @throws UncheckedIOException if the address cannot be bound
     * @throws IllegalStateException if listening fails otherwise, e.g. the host does not resolve
     */
    public static BackendSample start(String name, String host, int port, String bannerOrNull)
            throws InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(OWN_THREADS, NioIoHandler.newFactory());
        try {
            Listening listening = bind(name, host, port, bannerOrNull, group);
            listening.future.await();
            return started(listening, host, port, group);
        } catch (InterruptedException | RuntimeException | Error e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * Starts a sample on a shared event loop group, which {@link #close()} leaves running.
     * The group must run NIO channels.
     *
     * @return once listening
     * @throws IllegalArgumentException if the name is empty or has a line break, or the port is out of range
     * @throws UncheckedIOException if the address cannot be bound
     * @throws IllegalStateException if listening fails otherwise, e.g. the host does not resolve
     */
    public static BackendSample start(String name, String host, int port, String bannerOrNull,
                                      EventLoopGroup group) {
        Listening listening = bind(name, host, port, bannerOrNull, group);
        listening.future.awaitUninterruptibly();
        return started(listening, host, port, null);
    }

    private record Listening(String name, ChannelFuture future, ChannelGroup connections, LongAdder accepted) {}

    private static Listening bind(String name, String host, int port, String bannerOrNull, EventLoopGroup group) {
        checkName("name", name);
        checkPort("port", port);
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("host: " + host + " (expected: a host name or address)");
        }
        byte[] answer = (name + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] banner = bannerOrNull == null ? null : withNewline(bannerOrNull).getBytes(StandardCharsets.UTF_8);
        // stayClosed: a connection accepted while close() runs is closed as it joins.
        ChannelGroup connections = new DefaultChannelGroup("backend-sample-" + name, GlobalEventExecutor.INSTANCE, true);
        LongAdder accepted = new LongAdder();
        ChannelFuture future = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.increment();
                        connections.add(ch);
                        ch.pipeline().addLast(new WhoamiEchoHandler(answer, banner));
                    }
                })
                .bind(host, port);
        return new Listening(name, future, connections, accepted);
    }

    private static BackendSample started(Listening listening, String host, int port, EventLoopGroup ownGroup) {
        if (!listening.future.isSuccess()) {
            Throwable cause = listening.future.cause();
            String reason = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
            String message = "cannot listen on " + host + ":" + port + ": " + reason;
            if (cause instanceof IOException io) {
                throw new UncheckedIOException(message, io);
            }
            throw new IllegalStateException(message, cause);
        }
        return new BackendSample(listening.name, listening.future.channel(), listening.connections,
                listening.accepted, ownGroup);
    }

    private static String withNewline(String text) {
        return text.endsWith("\n") ? text : text + "\n";
    }

    static void checkName(String label, String name) {
        if (name == null || name.isEmpty() || name.indexOf('\n') >= 0 || name.indexOf('\r') >= 0) {
            throw new IllegalArgumentException(
                    label + ": \"" + name + "\" (expected: non-empty, without line breaks)");
        }
    }

    static void checkPort(String label, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(label + ": " + port + " (expected: 0..65535)");
        }
    }

    /** The bound port, which differs from the requested one when that was 0. */
    public int port() {
        return address().getPort();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    public String name() {
        return name;
    }

    /** Connections accepted since start, closed ones included. */
    public long connectionsAccepted() {
        return accepted.sum();
    }

    /** Connections not yet closed. */
    public int activeConnections() {
        return connections.size();
    }

    /**
     * Stops in this order, waiting for each step: the listening socket, so nothing new arrives;
     * every open connection; then the event loop group, if this sample created it. Later calls do
     * nothing. Must not be called from one of the group's event loops.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        serverChannel.close().awaitUninterruptibly();
        connections.close().awaitUninterruptibly();
        if (ownGroup != null) {
            ownGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    /** Runs until SIGTERM or SIGINT; exit status 2 on bad arguments, 1 if it cannot listen. */
    public static void main(String[] args) {
        int status = run(args);
        if (status != 0) {
            System.exit(status);
        }
    }

    static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new Cli()).setOut(out).setErr(err);
        // One line per usage error, as for a bad config; --help shows the rest.
        commandLine.setParameterExceptionHandler((e, ignored) -> {
            err.println("backend-sample: " + e.getMessage() + " (see --help)");
            return e.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
        });
        return commandLine.execute(args);
    }

    @Command(name = "backend-sample", sortOptions = false,
            description = "Echoes bytes, answers a 'whoami' line with its name; a backend to put behind Weir.")
    private static final class Cli implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--name", required = true, paramLabel = "NAME", description = "Reply to a 'whoami' line.")
        String name;

        @Option(names = "--port", required = true, paramLabel = "PORT", description = "Port to listen on; 0 for any.")
        int port;

        @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
                description = "Address to listen on (default: ${DEFAULT-VALUE}).")
        String host;

        @Option(names = "--banner", paramLabel = "TEXT", description = "Line sent to each client on connect.")
        String banner;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
        boolean help;

        @Override
        public Integer call() throws InterruptedException {
            try {
                checkName("--name", name);
                checkPort("--port", port);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            BackendSample sample;
            try {
                sample = start(name, host, port, banner);
            } catch (UncheckedIOException | IllegalStateException e) {
                spec.commandLine().getErr().println("backend-sample: " + e.getMessage());
                return 1;
            }
            Runtime.getRuntime().addShutdownHook(new Thread(sample::close, "backend-sample-stop"));
            spec.commandLine().getOut().println("backend-sample name=" + name
                    + " listening=" + NetUtil.toSocketAddressString(sample.address()));
            sample.serverChannel.closeFuture().await();
            return 0;
        }
    }
}
