import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * What a proxied connection costs Weir in exceptions, shutdown calls and allocation, by the way it ends. Drives
 * short connections of each shape through Weir (started here as a child process) to backends of its own, one
 * shape after another with a quiet second between, and reads back a JFR recording and an strace log of the run.
 *
 * <pre>
 * java bench/CloseShapes.java run N OUTDIR -- COMMAND...
 *     writes OUTDIR/weir.yaml (one listener per shape, access log and admin off), starts COMMAND run -c
 *     OUTDIR/weir.yaml, warms up, then drives N sequential connections per shape; each shape's time window
 *     goes to OUTDIR/windows.txt. COMMAND is e.g. java -XX:StartFlightRecording:settings=bench/exceptions.jfc,
 *     filename=OUTDIR/weir.jfr -jar proxy/target/weir.jar, or strace -f -ttt -e trace=shutdown -o
 *     OUTDIR/strace.txt java -jar proxy/target/weir.jar. TRANSPORT in the environment sets the transport.
 * java bench/CloseShapes.java report OUTDIR
 *     per shape and connection: Throwables built on Weir's event loops (jdk.JavaExceptionThrow/ErrorThrow, by
 *     class and first Netty or Weir frame), bytes the loops allocated (jdk.ThreadAllocationStatistics), and
 *     shutdown() calls by direction and result (from OUTDIR/strace.txt).
 * </pre>
 *
 * Shapes: client-first (echo, the client closes, then the backend), backend-first (the backend answers and
 * closes), half-close (the client sends its FIN, then reads the answer), client-reset and backend-reset (linger
 * 0 after the echo).
 */
public final class CloseShapes {

    private static final String[] SHAPES = {"client-first", "backend-first", "half-close", "client-reset", "backend-reset"};
    private static final int SIZE = 100;
    private static final long SETTLE_MS = 1000;

    public static void main(String[] args) throws Exception {
        if (args.length >= 4 && args[0].equals("run") && args[3].equals("--")) {
            run(Integer.parseInt(args[1]), Path.of(args[2]), Arrays.asList(args).subList(4, args.length));
        } else if (args.length == 2 && args[0].equals("report")) {
            report(Path.of(args[1]));
        } else {
            System.err.println("usage: CloseShapes run N OUTDIR -- COMMAND... | report OUTDIR (see the source)");
            System.exit(2);
        }
    }

    // ---- run --------------------------------------------------------------------------------------

    private static void run(int n, Path out, List<String> command) throws Exception {
        Files.createDirectories(out);
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "backend");
            t.setDaemon(true);
            return t;
        });
        Map<String, Integer> backendPorts = new LinkedHashMap<>();
        Map<String, Integer> listenPorts = new LinkedHashMap<>();
        for (String shape : SHAPES) {
            ServerSocket server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
            backendPorts.put(shape, server.getLocalPort());
            pool.execute(() -> acceptLoop(server, shape, pool));
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                listenPorts.put(shape, probe.getLocalPort()); // a free port for Weir's listener (bench only)
            }
        }
        StringBuilder yaml = new StringBuilder("transport: " + System.getenv().getOrDefault("TRANSPORT", "auto")
                + "\nlisteners:\n");
        for (String shape : SHAPES) {
            yaml.append("  ").append(shape).append(": {bind: 127.0.0.1:").append(listenPorts.get(shape))
                    .append(", pool: ").append(shape).append("}\n");
        }
        yaml.append("pools:\n");
        for (String shape : SHAPES) {
            yaml.append("  ").append(shape).append(": {backends: [127.0.0.1:").append(backendPorts.get(shape)).append("]}\n");
        }
        yaml.append("shutdown: {drain-timeout: 0s}\nadmin: {bind: \"off\"}\naccess-log: {enabled: false}\n");
        Files.writeString(out.resolve("weir.yaml"), yaml);
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(List.of("run", "-c", out.resolve("weir.yaml").toString()));
        Process weir = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(out.resolve("weir.log").toFile()).start();
        try {
            for (String shape : SHAPES) {
                waitFor(listenPorts.get(shape), weir);
            }
            for (String shape : SHAPES) {
                for (int i = 0; i < 300; i++) {
                    client(shape, listenPorts.get(shape));
                }
            }
            Thread.sleep(SETTLE_MS);
            StringBuilder windows = new StringBuilder();
            for (String shape : SHAPES) {
                long start = System.currentTimeMillis();
                int failed = 0;
                for (int i = 0; i < n; i++) {
                    failed += client(shape, listenPorts.get(shape)) ? 0 : 1;
                }
                long end = System.currentTimeMillis();
                windows.append(shape).append(' ').append(start).append(' ').append(end).append(' ').append(n)
                        .append(' ').append(failed).append('\n');
                System.err.printf("%s: %d connections, %d failed, %d ms%n", shape, n, failed, end - start);
                Thread.sleep(SETTLE_MS); // Weir finishes its closes; the gap separates the shapes in the logs
            }
            Files.writeString(out.resolve("windows.txt"), windows);
        } finally {
            weir.descendants().forEach(ProcessHandle::destroy); // Weir itself under strace
            weir.destroy();
            weir.waitFor();
        }
    }

    private static void waitFor(int port, Process weir) throws Exception {
        for (int i = 0; i < 600; i++) {
            if (!weir.isAlive()) {
                throw new IllegalStateException("Weir exited: " + weir.exitValue());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("Weir never listened on " + port);
    }

    /** One connection of {@code shape}; false when it did not get its answer. */
    private static boolean client(String shape, int port) throws IOException {
        byte[] msg = new byte[SIZE];
        Arrays.fill(msg, (byte) 'x');
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            OutputStream o = s.getOutputStream();
            InputStream in = s.getInputStream();
            o.write(msg);
            switch (shape) {
                case "client-first" -> {
                    return in.readNBytes(SIZE).length == SIZE;
                }
                case "client-reset" -> {
                    boolean ok = in.readNBytes(SIZE).length == SIZE;
                    s.setSoLinger(true, 0);
                    return ok;
                }
                case "half-close" -> {
                    s.shutdownOutput();
                    return in.readAllBytes().length == SIZE;
                }
                case "backend-first" -> {
                    return in.readAllBytes().length == SIZE;
                }
                default -> { // backend-reset: the backend's reset may overtake its bytes
                    try {
                        in.readAllBytes();
                    } catch (IOException reset) {
                        // expected now and then
                    }
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
    }

    private static void acceptLoop(ServerSocket server, String shape, ExecutorService pool) {
        while (true) {
            try {
                Socket s = server.accept();
                pool.execute(() -> serve(s, shape));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void serve(Socket s, String shape) {
        try (s) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            OutputStream o = s.getOutputStream();
            byte[] got = shape.equals("half-close") ? in.readAllBytes() : in.readNBytes(SIZE);
            o.write(got);
            switch (shape) {
                case "client-first", "client-reset" -> in.readAllBytes();
                case "backend-reset" -> s.setSoLinger(true, 0);
                default -> { }
            }
        } catch (IOException e) {
            // a reset from the client's side reaches here
        }
    }

    // ---- report -----------------------------------------------------------------------------------

    private record Window(String shape, long start, long end, int n, int failed) {
        boolean holds(long epochMs) {
            return epochMs >= start && epochMs <= end + SETTLE_MS / 2;
        }
    }

    private static void report(Path dir) throws Exception {
        List<Window> windows = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("windows.txt"))) {
            String[] f = line.split(" ");
            windows.add(new Window(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]), Integer.parseInt(f[3]),
                    Integer.parseInt(f[4])));
        }
        Path jfr = dir.resolve("weir.jfr");
        if (Files.exists(jfr)) {
            reportJfr(jfr, windows);
        }
        Path strace = dir.resolve("strace.txt");
        if (Files.exists(strace)) {
            reportStrace(strace, windows);
        }
    }

    private static void reportJfr(Path jfr, List<Window> windows) throws IOException {
        Map<String, Map<String, Integer>> thrown = new LinkedHashMap<>();
        Map<String, Map<String, Long>> allocFirst = new LinkedHashMap<>();
        Map<String, Map<String, Long>> allocLast = new LinkedHashMap<>();
        for (Window w : windows) {
            thrown.put(w.shape(), new TreeMap<>());
            allocFirst.put(w.shape(), new TreeMap<>());
            allocLast.put(w.shape(), new TreeMap<>());
        }
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            String type = e.getEventType().getName();
            long t = e.getStartTime().toEpochMilli();
            if (type.equals("jdk.JavaExceptionThrow") || type.equals("jdk.JavaErrorThrow")) {
                RecordedThread th = e.getThread();
                String thread = th == null ? "?" : th.getJavaName();
                if (thread == null || !thread.startsWith("weir-loop")) {
                    continue;
                }
                for (Window w : windows) {
                    if (w.holds(t)) {
                        String key = e.getClass("thrownClass").getName() + " at " + site(e);
                        thrown.get(w.shape()).merge(key, 1, Integer::sum);
                    }
                }
            } else if (type.equals("jdk.ThreadAllocationStatistics")) {
                RecordedThread th = e.getThread("thread");
                String thread = th == null ? null : th.getJavaName();
                if (thread == null || !thread.startsWith("weir-loop")) {
                    continue;
                }
                long bytes = e.getLong("allocated");
                for (Window w : windows) {
                    // the last sample before the window, and the first one after it (the gaps are idle)
                    if (t < w.start() && t >= w.start() - SETTLE_MS) {
                        allocFirst.get(w.shape()).merge(thread, bytes, Math::max);
                    } else if (t > w.end() + SETTLE_MS / 2 && t <= w.end() + SETTLE_MS) {
                        allocLast.get(w.shape()).merge(thread, bytes, Math::min);
                    }
                }
            }
        }
        for (Window w : windows) {
            System.out.printf("%n== %s: %d connections (%d failed)%n", w.shape(), w.n(), w.failed());
            int total = thrown.get(w.shape()).values().stream().mapToInt(Integer::intValue).sum();
            System.out.printf("Throwables on the loops: %.2f per connection%n", (double) total / w.n());
            thrown.get(w.shape()).forEach((k, v) -> System.out.printf("  %6.2f  %s%n", (double) v / w.n(), k));
            long alloc = 0;
            boolean complete = !allocFirst.get(w.shape()).isEmpty();
            for (var first : allocFirst.get(w.shape()).entrySet()) {
                Long last = allocLast.get(w.shape()).get(first.getKey());
                if (last == null) {
                    complete = false;
                } else {
                    alloc += last - first.getValue();
                }
            }
            System.out.println(complete
                    ? String.format("allocated on the loops: %.0f bytes per connection", (double) alloc / w.n())
                    : "allocated on the loops: no jdk.ThreadAllocationStatistics around the window");
        }
    }

    /** The first frame outside the JDK's own Throwable constructors: where Netty or Weir built it. */
    private static String site(RecordedEvent e) {
        if (e.getStackTrace() == null) {
            return "?";
        }
        List<String> frames = new ArrayList<>();
        for (RecordedFrame f : e.getStackTrace().getFrames()) {
            String type = f.getMethod().getType().getName();
            String m = f.getMethod().getName();
            if (m.equals("<init>") && (type.startsWith("java.") || type.endsWith("Exception") || type.endsWith("Error"))) {
                continue;
            }
            if (type.startsWith("jdk.jfr") || type.startsWith("jdk.internal.event")) {
                continue;
            }
            frames.add(type.substring(type.lastIndexOf('.') + 1) + "." + m + ":" + f.getLineNumber());
            if (frames.size() == 3) {
                break;
            }
        }
        return String.join(" < ", frames);
    }

    private static final Pattern SHUTDOWN = Pattern.compile(
            "^\\d+\\s+(\\d+)\\.(\\d+) shutdown\\(\\d+, (SHUT_\\w+)\\)\\s+=\\s+(-?\\d+)\\s*(\\w*)");

    private static void reportStrace(Path strace, List<Window> windows) throws IOException {
        Map<String, Map<String, Integer>> calls = new LinkedHashMap<>();
        for (Window w : windows) {
            calls.put(w.shape(), new TreeMap<>());
        }
        for (String line : Files.readAllLines(strace)) {
            Matcher m = SHUTDOWN.matcher(line);
            if (!m.find()) {
                continue;
            }
            long ms = Long.parseLong(m.group(1)) * 1000 + Long.parseLong(m.group(2)) / 1000;
            String key = m.group(3) + (m.group(4).equals("0") ? " ok" : " " + m.group(5));
            for (Window w : windows) {
                if (w.holds(ms)) {
                    calls.get(w.shape()).merge(key, 1, Integer::sum);
                }
            }
        }
        System.out.printf("%nshutdown() per connection, from %s (%s)%n", strace, Instant.now());
        for (Window w : windows) {
            StringBuilder s = new StringBuilder();
            int total = 0;
            for (var c : calls.get(w.shape()).entrySet()) {
                total += c.getValue();
                s.append(String.format("  %s %.2f", c.getKey(), (double) c.getValue() / w.n()));
            }
            System.out.printf("%-14s %.2f:%s%n", w.shape(), (double) total / w.n(), s);
        }
    }
}
