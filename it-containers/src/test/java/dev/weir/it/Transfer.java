package dev.weir.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One long connection through Weir to an echoing backend-sample: {@code whoami} first (so the test knows the
 * backend), then {@code total} pseudo-random bytes up, every byte checked as it comes back down, then a FIN both
 * ways (or, without half-close, the client closes once every byte came back). The sender can stop at {@code pauseAt} bytes until {@link #resume()}, to keep the transfer in flight while
 * the test does something to Weir.
 */
final class Transfer {

    private static final int CHUNK = 64 * 1024;

    final String backend;
    private final Socket socket;
    private final long total;
    private final long pauseAt;
    private final long seed;
    private final boolean halfClose;
    private final CountDownLatch paused = new CountDownLatch(1);
    private final CountDownLatch resume = new CountDownLatch(1);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final CompletableFuture<Long> done = new CompletableFuture<>();

    private Transfer(Socket socket, String backend, long total, long pauseAt, long seed, boolean halfClose) {
        this.socket = socket;
        this.backend = backend;
        this.total = total;
        this.pauseAt = pauseAt;
        this.seed = seed;
        this.halfClose = halfClose;
    }

    /** Connects, asks whoami, and starts sending; {@code pauseAt} < 0 never pauses. */
    static Transfer start(String source, int port, long total, long pauseAt, long seed) throws IOException {
        return start(Net.connect(source, port), total, pauseAt, seed, true);
    }

    /**
     * The same over a socket the caller connected, which the transfer closes. {@code halfClose} false: the sender
     * never shuts its output down; the reader stops after {@code total} bytes, and the socket is closed.
     */
    static Transfer start(Socket s, long total, long pauseAt, long seed, boolean halfClose) throws IOException {
        s.setSoTimeout(60_000);
        s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
        String backend = Net.readLine(s.getInputStream());
        if (backend == null) {
            s.close();
            throw new IOException("closed before the whoami answer");
        }
        Transfer t = new Transfer(s, backend, total, pauseAt, seed, halfClose);
        Thread writer = new Thread(t::write, "transfer-writer-" + seed);
        Thread reader = new Thread(t::read, "transfer-reader-" + seed);
        writer.setDaemon(true);
        reader.setDaemon(true);
        writer.start();
        reader.start();
        return t;
    }

    /** Waits until the sender reached its pause point and all of it came back. */
    void awaitPaused(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        boolean reached = paused.await(timeout, unit);
        if (reached) {
            long left = Math.max(1, deadline - System.nanoTime());
            try {
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofNanos(left)).pollInterval(java.time.Duration.ofMillis(5))
                        .until(() -> received.get() >= pauseAt || done.isDone());
            } catch (org.awaitility.core.ConditionTimeoutException timedOut) {
                // reported below
            }
        }
        if (!reached || received.get() < pauseAt) {
            throw new AssertionError("transfer via " + backend + " did not reach " + pauseAt + " bytes; sent "
                    + sent.get() + ", received " + received.get(), done.isCompletedExceptionally() ? cause() : null);
        }
    }

    void resume() {
        resume.countDown();
    }

    long received() {
        return received.get();
    }

    /** Completes with the byte count once everything came back byte-exact and the backend's FIN arrived. */
    CompletableFuture<Long> done() {
        return done;
    }

    private Throwable cause() {
        try {
            done.getNow(null);
            return null;
        } catch (RuntimeException e) {
            return e.getCause() != null ? e.getCause() : e;
        }
    }

    private void write() {
        try {
            OutputStream out = socket.getOutputStream();
            Stream data = new Stream(seed);
            byte[] chunk = new byte[CHUNK];
            long at = 0;
            boolean pauseDone = pauseAt < 0;
            while (at < total) {
                if (!pauseDone && at == pauseAt) {
                    out.flush();
                    paused.countDown();
                    resume.await();
                    pauseDone = true;
                    continue;
                }
                long limit = !pauseDone && at < pauseAt ? pauseAt : total;
                int n = (int) Math.min(CHUNK, limit - at);
                data.next(chunk, n);
                out.write(chunk, 0, n);
                at += n;
                sent.set(at);
            }
            out.flush();
            if (halfClose) {
                socket.shutdownOutput();
            }
        } catch (IOException e) {
            done.completeExceptionally(new IOException("sending via " + backend + " at " + sent.get() + ": " + e, e));
            paused.countDown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void read() {
        try (socket) {
            InputStream in = socket.getInputStream();
            Stream expected = new Stream(seed);
            byte[] buf = new byte[CHUNK];
            byte[] want = new byte[CHUNK];
            long at = 0;
            int n;
            while ((halfClose || at < total) && (n = in.read(buf)) >= 0) {
                expected.next(want, n);
                for (int i = 0; i < n; i++) {
                    if (buf[i] != want[i]) {
                        throw new IOException("byte " + (at + i) + " differs: got " + buf[i] + ", sent " + want[i]);
                    }
                }
                at += n;
                received.set(at);
                if (at > total) {
                    throw new IOException("more bytes than sent: " + at);
                }
            }
            if (at != total) {
                throw new IOException("EOF after " + at + " of " + total + " bytes");
            }
            done.complete(at);
        } catch (IOException e) {
            done.completeExceptionally(new IOException("receiving via " + backend + " at " + received.get() + ": "
                    + e.getMessage(), e));
        }
    }

    /**
     * The bytes of one transfer: pseudo-random, but never '\n', so none of them can form a {@code whoami} line
     * that the backend would answer instead of echoing.
     */
    private static final class Stream {
        private final SplittableRandom random;
        private long word;
        private int left; // bytes of word not handed out yet

        Stream(long seed) {
            random = new SplittableRandom(seed);
        }

        /** The next n bytes of the stream, whatever the sizes of earlier calls. */
        void next(byte[] into, int n) {
            for (int i = 0; i < n; i++) {
                if (left == 0) {
                    word = random.nextLong();
                    left = 8;
                }
                byte b = (byte) word;
                word >>>= 8;
                left--;
                into[i] = b == '\n' ? (byte) 0x0b : b;
            }
        }
    }
}
