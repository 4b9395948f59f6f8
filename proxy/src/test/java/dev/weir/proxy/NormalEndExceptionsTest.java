package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Connections that end the normal ways (either side's FIN first, a half-close, a reset) build no Throwable on Weir's
 * event loops, counted with an in-process JFR recording of {@code jdk.JavaExceptionThrow}. Two kinds Weir cannot
 * avoid are allowed, one per connection at most (see docs/operations.md, "Exceptions on the normal path"): Netty's
 * stackless {@code ClosedChannelException} when it closes the socket that read the last FIN, and on a reset the
 * read's own error.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NormalEndExceptionsTest {

    private static final int SIZE = 100;
    private static final int WARM_UP = 30;
    private static final int COUNTED = 50;

    enum Shape { CLIENT_FIRST, BACKEND_FIRST, HALF_CLOSE, CLIENT_RESET, BACKEND_RESET }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void clientClosesFirst(String transport) throws Exception {
        assertQuiet(transport, Shape.CLIENT_FIRST);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void backendClosesFirst(String transport) throws Exception {
        assertQuiet(transport, Shape.BACKEND_FIRST);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void clientHalfClosesThenReadsTheAnswer(String transport) throws Exception {
        assertQuiet(transport, Shape.HALF_CLOSE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void clientResets(String transport) throws Exception {
        assertQuiet(transport, Shape.CLIENT_RESET);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void backendResets(String transport) throws Exception {
        assertQuiet(transport, Shape.BACKEND_RESET);
    }

    private static void assertQuiet(String transport, Shape shape) throws Exception {
        // io_uring keeps Netty's own shutdown and close (QuietEnds#quiet), and with them their exceptions
        assumeFalse(transport.equals("io_uring"), "io_uring ends connections through Netty's calls");
        ExecutorService pool = Executors.newCachedThreadPool();
        Set<String> before = loopThreads();
        try (ServerSocket backend = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
             RunningWeir proxy = TestConfig.to("127.0.0.1:" + backend.getLocalPort()).transport(transport).start()) {
            pool.execute(() -> serve(backend, shape, pool));
            for (int i = 0; i < WARM_UP; i++) {
                connection(proxy, shape); // class loading and linking build Throwables of their own
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> proxy.weir().activeConnections() == 0);
            Set<String> loops = loopThreads();
            loops.removeAll(before);
            assertThat(loops).as("this Weir's event loops").isNotEmpty();
            List<String> thrown = new ArrayList<>();
            Path file = Files.createTempFile("weir-exceptions", ".jfr");
            try (Recording recording = new Recording()) {
                recording.enable("jdk.JavaExceptionThrow").withStackTrace();
                recording.enable("jdk.JavaErrorThrow").withStackTrace();
                recording.start();
                for (int i = 0; i < COUNTED; i++) {
                    assertThat(connection(proxy, shape)).as("connection %d got its answer", i).isTrue();
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> proxy.weir().activeConnections() == 0);
                recording.stop();
                recording.dump(file);
                for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                    if (e.getThread() != null && loops.contains(e.getThread().getJavaName()) && !linkage(e)) {
                        thrown.add(e.getClass("thrownClass").getName() + " at " + frames(e));
                    }
                }
            } finally {
                Files.deleteIfExists(file);
            }
            long eofCloses = thrown.stream().filter(NormalEndExceptionsTest::nettyClosingAtEof).count();
            long readErrors = thrown.stream().filter(NormalEndExceptionsTest::readError).count();
            List<String> others = thrown.stream().filter(t -> !nettyClosingAtEof(t) && !readError(t))
                    .collect(Collectors.toList());
            assertThat(others).as("Throwables built on the event loops over %d %s connections (%s)", COUNTED, shape,
                    transport).isEmpty();
            assertThat(eofCloses).as("Netty's close of the socket that read the last FIN").isLessThanOrEqualTo(COUNTED);
            boolean reset = shape == Shape.CLIENT_RESET || shape == Shape.BACKEND_RESET;
            // NIO's read of a reset builds two: the JDK's ConnectionResetException, wrapped in a SocketException
            assertThat(readErrors).as("errors of reads").isLessThanOrEqualTo(reset ? 2L * COUNTED : 0);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Netty closing a socket on its EOF (half-closure off once our FIN went out): epoll, io_uring, NIO. */
    private static boolean nettyClosingAtEof(String thrown) {
        return thrown.startsWith("io.netty.channel.StacklessClosedChannelException at ")
                && (thrown.contains("shutdownInput") || thrown.contains("closeOnRead") || thrown.contains("handleReadException"));
    }

    /** The peer's reset, as the read reports it. */
    private static boolean readError(String thrown) {
        return (thrown.startsWith("io.netty.channel.unix.Errors$NativeIoException ")
                || thrown.startsWith("java.net.SocketException ") || thrown.startsWith("sun.net.ConnectionResetException "))
                && (thrown.contains("read") || thrown.contains("Read"));
    }

    /**
     * Not Weir's: the JVM probing a method handle the first time a call site runs (once per JVM), and the trace records
     * of the leak detector, which the tests run PARANOID (production runs it off).
     */
    private static boolean linkage(RecordedEvent e) {
        return e.getClass("thrownClass").getName().equals("io.netty.util.ResourceLeakDetector$TraceRecord")
                || e.getStackTrace() != null && e.getStackTrace().getFrames().stream()
                .anyMatch(f -> f.getMethod().getType().getName().equals("java.lang.invoke.MemberName$Factory")
                        && f.getMethod().getName().equals("resolveOrNull"));
    }

    private static String frames(RecordedEvent e) {
        if (e.getStackTrace() == null) {
            return "?";
        }
        return e.getStackTrace().getFrames().stream().limit(12)
                .map(f -> f.getMethod().getType().getName() + "." + f.getMethod().getName())
                .collect(Collectors.joining(" < "));
    }

    private static Set<String> loopThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("weir-loop")).collect(Collectors.toSet());
    }

    /** One connection of {@code shape}, ended by the client; true when it got its answer. */
    private static boolean connection(RunningWeir proxy, Shape shape) throws IOException {
        byte[] msg = new byte[SIZE];
        Arrays.fill(msg, (byte) 'x');
        try (Socket s = proxy.connect()) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            s.getOutputStream().write(msg);
            switch (shape) {
                case CLIENT_FIRST:
                    return Arrays.equals(in.readNBytes(SIZE), msg);
                case CLIENT_RESET:
                    boolean echoed = Arrays.equals(in.readNBytes(SIZE), msg);
                    s.setSoLinger(true, 0);
                    return echoed;
                case HALF_CLOSE:
                    s.shutdownOutput();
                    return Arrays.equals(in.readAllBytes(), msg);
                case BACKEND_FIRST:
                    return Arrays.equals(in.readAllBytes(), msg);
                default:
                    try {
                        in.readAllBytes(); // the backend's reset may overtake its answer
                    } catch (IOException reset) {
                        // as expected, now and then
                    }
                    return true;
            }
        }
    }

    private static void serve(ServerSocket server, Shape shape, ExecutorService pool) {
        while (true) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException closed) {
                return;
            }
            pool.execute(() -> answer(s, shape));
        }
    }

    private static void answer(Socket socket, Shape shape) {
        try (Socket s = socket) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            out.write(shape == Shape.HALF_CLOSE ? in.readAllBytes() : in.readNBytes(SIZE));
            if (shape == Shape.CLIENT_FIRST || shape == Shape.CLIENT_RESET) {
                in.readAllBytes(); // until the client's FIN (or reset) reaches here through Weir
            } else if (shape == Shape.BACKEND_RESET) {
                s.setSoLinger(true, 0);
            }
        } catch (IOException e) {
            // the client's reset, forwarded
        }
    }
}
