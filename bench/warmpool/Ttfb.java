import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Time to first reply byte of short-lived TCP connections (bench, not a test).
 *
 * <p>For each target, one connection is: connect, send a 100-byte line, read the 100-byte echo,
 * close. The time measured runs from just before connect() to the arrival of the first reply byte.
 * Each target gets {@code --warmup} uncounted connections, then {@code -n} counted ones, by
 * {@code -c} threads each doing one connection at a time, stopped early at {@code --time-limit}
 * seconds. Targets are measured one after the other, in the order given.
 *
 * <pre>java Ttfb.java [-n 2000] [-c 1] [--warmup 200] [--time-limit 60] [--run R] [--split-us T] [--dump PREFIX] NAME=HOST:PORT...</pre>
 *
 * Prints one line per target:
 * {@code RESULT run=R target=NAME n=.. errors=.. truncated=false p50_us=.. p90_us=.. p99_us=.. max_us=.. mean_us=..
 * connect_p50_us=.. connect_p99_us=..} (the connect_ figures: connect start to connect() returning)
 * and, with {@code --split-us T}, how many counted connections took T µs or more ({@code slow=..}).
 * {@code --dump PREFIX} also writes each target's samples (µs, in the order the connections were
 * started) to {@code PREFIX-NAME.txt}.
 * Exit status 0 if every target completed all its connections without error, 1 otherwise, 2 on bad usage.
 */
public final class Ttfb {

    static final int PAYLOAD = 100;
    static final int IO_TIMEOUT_MS = 5_000;

    public static void main(String[] args) throws Exception {
        int n = 2000;
        int concurrency = 1;
        int warmup = 200;
        double timeLimitS = 60;
        String run = "1";
        long splitUs = -1;
        String dump = null;
        Map<String, InetSocketAddress> targets = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-n" -> n = Integer.parseInt(args[++i]);
                case "-c" -> concurrency = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--time-limit" -> timeLimitS = Double.parseDouble(args[++i]);
                case "--run" -> run = args[++i];
                case "--split-us" -> splitUs = Long.parseLong(args[++i]);
                case "--dump" -> dump = args[++i];
                default -> {
                    int eq = a.indexOf('=');
                    int colon = a.lastIndexOf(':');
                    if (eq <= 0 || colon < eq) {
                        System.err.println("Ttfb: bad argument " + a + " (expected NAME=HOST:PORT)");
                        System.exit(2);
                    }
                    targets.put(a.substring(0, eq),
                            new InetSocketAddress(a.substring(eq + 1, colon), Integer.parseInt(a.substring(colon + 1))));
                }
            }
        }
        if (targets.isEmpty() || n < 1 || concurrency < 1 || warmup < 0) {
            System.err.println("usage: java Ttfb.java [-n N] [-c C] [--warmup W] [--time-limit S] [--run R]"
                    + " [--split-us T] [--dump PREFIX] NAME=HOST:PORT...");
            System.exit(2);
        }
        byte[] payload = payload();
        boolean allOk = true;
        for (Map.Entry<String, InetSocketAddress> t : targets.entrySet()) {
            long deadline = System.nanoTime() + (long) (timeLimitS * 1e9);
            Batch w = batch(t.getValue(), payload, warmup, concurrency, deadline);
            Batch m = batch(t.getValue(), payload, n, concurrency, deadline);
            long[] s = m.samples();
            if (dump != null) {
                StringBuilder d = new StringBuilder();
                for (long v : s) {
                    d.append(v / 1000).append('\n');
                }
                java.nio.file.Files.writeString(java.nio.file.Path.of(dump + "-" + t.getKey() + ".txt"), d);
            }
            Arrays.sort(s);
            boolean truncated = s.length + m.errors.get() < n;
            allOk &= !truncated && m.errors.get() == 0 && w.errors.get() == 0;
            StringBuilder line = new StringBuilder();
            line.append(String.format(Locale.ROOT, "RESULT run=%s target=%s n=%d errors=%d warmup_errors=%d truncated=%b",
                    run, t.getKey(), s.length, m.errors.get(), w.errors.get(), truncated));
            if (s.length > 0) {
                line.append(String.format(Locale.ROOT, " p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%d",
                        pct(s, 50), pct(s, 90), pct(s, 99), s[s.length - 1] / 1000,
                        Arrays.stream(s).sum() / s.length / 1000));
                long[] c = m.connectSamples();
                Arrays.sort(c);
                line.append(String.format(Locale.ROOT, " connect_p50_us=%d connect_p99_us=%d", pct(c, 50), pct(c, 99)));
                if (splitUs >= 0) {
                    long splitNs = splitUs * 1000;
                    long slow = Arrays.stream(s).filter(v -> v >= splitNs).count();
                    line.append(" slow=").append(slow);
                }
            }
            if (m.firstError.get() != null) {
                line.append(" first_error=\"").append(m.firstError.get().replace('"', '\'')).append('"');
            }
            System.out.println(line);
        }
        System.exit(allOk ? 0 : 1);
    }

    /** A 100-byte line that does not start with "whoami": the sample backend echoes it. */
    static byte[] payload() {
        StringBuilder sb = new StringBuilder("ping ttfb ");
        while (sb.length() < PAYLOAD - 1) {
            sb.append((char) ('a' + sb.length() % 26));
        }
        sb.append('\n');
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Nearest-rank percentile, in microseconds. */
    static long pct(long[] sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1000;
    }

    static final class Batch {
        final long[] ns;
        final long[] connectNs;
        final AtomicInteger taken = new AtomicInteger();
        final AtomicInteger errors = new AtomicInteger();
        final AtomicReference<String> firstError = new AtomicReference<>();

        Batch(int n) {
            ns = new long[n];
            connectNs = new long[n];
        }

        long[] samples() {
            return nonZero(ns);
        }

        long[] connectSamples() {
            return nonZero(connectNs);
        }

        static long[] nonZero(long[] a) {
            List<Long> l = new ArrayList<>();
            for (long v : a) {
                if (v > 0) {
                    l.add(v);
                }
            }
            return l.stream().mapToLong(Long::longValue).toArray();
        }
    }

    static Batch batch(InetSocketAddress addr, byte[] payload, int n, int concurrency, long deadline)
            throws InterruptedException {
        Batch b = new Batch(n);
        if (n == 0) {
            return b;
        }
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < concurrency; t++) {
            Thread th = new Thread(() -> {
                byte[] reply = new byte[PAYLOAD];
                int i;
                while ((i = b.taken.getAndIncrement()) < n && System.nanoTime() < deadline) {
                    try {
                        long[] r = once(addr, payload, reply);
                        b.ns[i] = r[0];
                        b.connectNs[i] = r[1];
                    } catch (IOException | RuntimeException e) {
                        b.errors.incrementAndGet();
                        b.firstError.compareAndSet(null, e.toString());
                    }
                }
            }, "ttfb-" + t);
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
        return b;
    }

    /**
     * One connection; returns nanoseconds from connect start to the first reply byte, and from
     * connect start to connect() returning.
     */
    static long[] once(InetSocketAddress addr, byte[] payload, byte[] reply) throws IOException {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(IO_TIMEOUT_MS);
            long t0 = System.nanoTime();
            s.connect(addr, IO_TIMEOUT_MS);
            long tc = System.nanoTime();
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(payload);
            int first = in.read();
            long t1 = System.nanoTime();
            if (first < 0) {
                throw new IOException("EOF before any reply byte");
            }
            reply[0] = (byte) first;
            int got = 1;
            while (got < PAYLOAD) {
                int r = in.read(reply, got, PAYLOAD - got);
                if (r < 0) {
                    throw new IOException("EOF after " + got + " reply bytes");
                }
                got += r;
            }
            if (!Arrays.equals(reply, payload)) {
                throw new IOException("reply differs from the bytes sent");
            }
            return new long[] {Math.max(1, t1 - t0), Math.max(1, tc - t0)};
        }
    }
}
