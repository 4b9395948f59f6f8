import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The load generator and helpers of bench/run.sh, in one file with no dependencies (JDK 17+).
 *
 * <pre>
 * java LoadGen.java short HOST:PORT[,HOST:PORT...] SECONDS CONCURRENCY [SIZE]
 *     connect, send SIZE bytes (default 100), read the SIZE-byte echo, close; CONCURRENCY at once,
 *     one NIO thread; client sockets bound to rotating source addresses 127.0.1.1-127.0.1.250 so
 *     that TIME_WAIT never exhausts ports. Prints "conns=N secs=S rate=R errors=E".
 * java LoadGen.java idle HOST:PORT[,...] COUNT READYFILE
 *     opens COUNT connections, each from 127.1.x.y (100 per source address), each checked by one
 *     echoed byte, writes "open=N errors=E" to READYFILE, then holds them until killed.
 * java LoadGen.java startup HOST:PORT RUNS TIMEOUT_SECONDS -- COMMAND...
 *     RUNS times: starts COMMAND, measures until HOST:PORT accepts a connection, stops it (SIGTERM,
 *     waits). Prints each time and the median in ms.
 * java LoadGen.java wait HOST:PORT TIMEOUT_SECONDS       exit 0 once HOST:PORT accepts, else 1
 * </pre>
 */
public final class LoadGen {

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
        }
        switch (args[0]) {
            case "short" -> shortConns(targets(args[1]), Double.parseDouble(args[2]), Integer.parseInt(args[3]),
                    args.length > 4 ? Integer.parseInt(args[4]) : 100);
            case "idle" -> idle(targets(args[1]), Integer.parseInt(args[2]), Path.of(args[3]));
            case "startup" -> startup(targets(args[1]).get(0), Integer.parseInt(args[2]),
                    Double.parseDouble(args[3]), Arrays.asList(args).subList(5, args.length));
            case "wait" -> System.exit(waitFor(targets(args[1]).get(0), Double.parseDouble(args[2])) ? 0 : 1);
            default -> usage();
        }
    }

    private static void usage() {
        System.err.println("usage: LoadGen short|idle|startup|wait ... (see the source)");
        System.exit(2);
    }

    private static List<InetSocketAddress> targets(String s) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String t : s.split(",")) {
            int i = t.lastIndexOf(':');
            out.add(new InetSocketAddress(t.substring(0, i), Integer.parseInt(t.substring(i + 1))));
        }
        return out;
    }

    // ---- short connections -------------------------------------------------------------------

    private static final class Conn {
        SocketChannel ch;
        final ByteBuffer out;
        final ByteBuffer in;

        Conn(int size) {
            byte[] b = new byte[size];
            Arrays.fill(b, (byte) 'x');
            b[size - 1] = '\n';
            out = ByteBuffer.wrap(b);
            in = ByteBuffer.allocate(size);
        }
    }

    private static int srcIndex;

    private static InetAddress nextShortSource() throws IOException {
        srcIndex = srcIndex % 250 + 1;
        return InetAddress.getByAddress(new byte[] {127, 0, 1, (byte) srcIndex});
    }

    private static void shortConns(List<InetSocketAddress> targets, double seconds, int concurrency, int size)
            throws IOException {
        Selector sel = Selector.open();
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long done = 0;
        long errors = 0;
        int target = 0;
        int live = 0;
        for (int i = 0; i < concurrency; i++) {
            open(sel, new Conn(size), targets.get(target++ % targets.size()));
            live++;
        }
        while (live > 0) {
            sel.select(100);
            boolean stopping = System.nanoTime() >= end;
            Iterator<SelectionKey> it = sel.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey k = it.next();
                it.remove();
                Conn c = (Conn) k.attachment();
                boolean finished = false;
                boolean failed = false;
                try {
                    if (k.isConnectable()) {
                        c.ch.finishConnect();
                        c.ch.write(c.out);
                        k.interestOps(c.out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
                    } else if (k.isWritable()) {
                        c.ch.write(c.out);
                        if (!c.out.hasRemaining()) {
                            k.interestOps(SelectionKey.OP_READ);
                        }
                    } else if (k.isReadable()) {
                        int n = c.ch.read(c.in);
                        if (n < 0) {
                            failed = true;
                        } else if (!c.in.hasRemaining()) {
                            finished = true;
                        }
                    }
                } catch (IOException e) {
                    failed = true;
                }
                if (finished || failed) {
                    k.cancel();
                    c.ch.close();
                    if (finished) {
                        done++;
                    } else {
                        errors++;
                    }
                    if (stopping) {
                        live--;
                    } else {
                        c.out.clear();
                        c.in.clear();
                        try {
                            open(sel, c, targets.get(target++ % targets.size()));
                        } catch (IOException e) {
                            errors++;
                            live--;
                        }
                    }
                }
            }
            if (System.nanoTime() > end + 5_000_000_000L) {
                break; // stuck connections: give up on them
            }
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "conns=%d secs=%.3f rate=%.1f errors=%d%n", done, secs, done / secs, errors);
    }

    private static void open(Selector sel, Conn c, InetSocketAddress target) throws IOException {
        SocketChannel ch = SocketChannel.open();
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.bind(new InetSocketAddress(nextShortSource(), 0));
        c.ch = ch;
        if (ch.connect(target)) {
            ch.write(c.out);
            ch.register(sel, SelectionKey.OP_READ, c);
        } else {
            ch.register(sel, SelectionKey.OP_CONNECT, c);
        }
    }

    // ---- idle connections --------------------------------------------------------------------

    private static void idle(List<InetSocketAddress> targets, int count, Path ready) throws Exception {
        List<Socket> sockets = new ArrayList<>(count);
        int errors = 0;
        for (int i = 0; i < count; i++) {
            int src = i / 100;
            InetAddress from = InetAddress.getByAddress(new byte[] {127, 1, (byte) (src / 250), (byte) (src % 250 + 1)});
            Socket s = new Socket();
            try {
                s.bind(new InetSocketAddress(from, 0));
                s.connect(targets.get(i % targets.size()), 5000);
                s.setSoTimeout(5000);
                s.getOutputStream().write('i');
                InputStream in = s.getInputStream();
                if (in.read() != 'i') {
                    throw new IOException("no echo");
                }
                sockets.add(s);
            } catch (IOException e) {
                errors++;
                s.close();
                if (errors == 1 || errors % 1000 == 0) {
                    System.err.println("idle: connection " + i + ": " + e);
                }
            }
        }
        Files.writeString(ready, "open=" + sockets.size() + " errors=" + errors + "\n");
        System.out.println("open=" + sockets.size() + " errors=" + errors);
        Thread.sleep(Long.MAX_VALUE);
    }

    // ---- startup time ------------------------------------------------------------------------

    private static boolean accepts(InetSocketAddress a) {
        try (Socket s = new Socket()) {
            s.connect(a, 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean waitFor(InetSocketAddress a, double timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + (long) (timeoutSeconds * 1e9);
        while (System.nanoTime() < deadline) {
            if (accepts(a)) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    private static void startup(InetSocketAddress a, int runs, double timeout, List<String> cmd) throws Exception {
        if (accepts(a)) {
            throw new IllegalStateException(a + " already accepts before the start");
        }
        double[] ms = new double[runs];
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = t0 + (long) (timeout * 1e9);
            boolean ok = false;
            while (System.nanoTime() < deadline && p.isAlive()) {
                if (accepts(a)) {
                    ok = true;
                    break;
                }
                Thread.sleep(2);
            }
            ms[r] = (System.nanoTime() - t0) / 1e6;
            p.destroy();
            p.waitFor();
            if (!ok) {
                throw new IllegalStateException("run " + (r + 1) + ": not accepting after " + timeout + " s");
            }
            System.out.printf(Locale.ROOT, "run %d: %.0f ms%n", r + 1, ms[r]);
            while (accepts(a)) {
                Thread.sleep(20);
            }
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "startup_ms median=%.0f min=%.0f max=%.0f%n",
                median(sorted), sorted[0], sorted[sorted.length - 1]);
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
