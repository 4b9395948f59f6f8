package dev.weir.proxy.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code openssl s_client} as a test's TLS client: the bytes given go to its stdin, and what the server sends comes
 * back from its stdout, nothing else ({@code -quiet}). Stdin stays open until as many bytes came back as were sent
 * (or s_client ended), so that the end of the input does not cut off the echo: s_client sends its close_notify when
 * its stdin ends ({@code -no_ign_eof}). {@code -nocommands}: a read of stdin that starts with Q, R or k is data, not
 * an s_client command.
 *
 * <p>Each run has three threads of its own (stdin, stdout, stderr, so that no pipe fills up and blocks the process),
 * every wait is bounded by the run's timeout, and the process is destroyed on every path.
 */
final class OpensslClient {

    /** What one run of s_client did. */
    record Result(int exitCode, byte[] received, String stderr) {
        @Override
        public String toString() {
            return "openssl s_client exit=" + exitCode + ", " + received.length + " bytes received, stderr:\n" + stderr;
        }
    }

    private OpensslClient() {
    }

    /** Fails (never skips) when there is no openssl command: CI installs it, so a skip would hide the tests. */
    static String requireInstalled() {
        try {
            Result r = exec(List.of("openssl", "version"), new byte[0], Duration.ofSeconds(30));
            if (r.exitCode() != 0) {
                throw new AssertionError("`openssl version` failed: " + r);
            }
            return new String(r.received(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new AssertionError("these tests run `openssl s_client`, and there is no openssl command ("
                    + e.getMessage() + "); install it with: apt-get install -y openssl", e);
        }
    }

    /** {@code openssl s_client -connect to} with {@code options}, sending {@code input}. */
    static Result connect(InetSocketAddress to, List<String> options, byte[] input, Duration timeout)
            throws IOException {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client",
                "-connect", to.getHostString() + ":" + to.getPort(), "-quiet", "-no_ign_eof", "-nocommands"));
        command.addAll(options);
        return exec(command, input, timeout);
    }

    private static Result exec(List<String> command, byte[] input, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Process p = new ProcessBuilder(command).start();
        ExecutorService io = Executors.newFixedThreadPool(3, r -> {
            Thread t = new Thread(r, "openssl-io");
            t.setDaemon(true);
            return t;
        });
        try {
            OutputStream stdin = p.getOutputStream();
            Future<?> written = io.submit(() -> {
                try {
                    stdin.write(input);
                    stdin.flush();
                } catch (IOException e) {
                    // s_client ended before it took everything (a refused handshake): what came back says so.
                }
            });
            Future<String> stderr = io.submit(() -> new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            CompletableFuture<Void> enough = new CompletableFuture<>();
            Future<byte[]> stdout = io.submit(() -> readToEnd(p.getInputStream(), input.length, enough));
            await(enough, deadline, command, p);
            await(written, deadline, command, p);
            try {
                stdin.close(); // the end of the input: s_client sends close_notify and exits
            } catch (IOException e) {
                // It has exited already.
            }
            byte[] received = await(stdout, deadline, command, p); // more than was sent would be the relay's fault
            if (!p.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new AssertionError(command + " did not exit within " + timeout);
            }
            String errors = await(stderr, deadline, command, p);
            return new Result(p.exitValue(), received, errors);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } finally {
            p.destroyForcibly();
            io.shutdownNow();
        }
    }

    /** Everything to EOF; {@code enough} completes once {@code expected} bytes came, or at EOF. */
    private static byte[] readToEnd(InputStream in, int expected, CompletableFuture<Void> enough) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(16, expected));
        byte[] buf = new byte[64 * 1024];
        try {
            if (expected == 0) {
                enough.complete(null);
            }
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                if (out.size() >= expected) {
                    enough.complete(null);
                }
            }
            return out.toByteArray();
        } finally {
            enough.complete(null);
        }
    }

    private static <T> T await(Future<T> f, long deadline, List<String> command, Process p)
            throws InterruptedException {
        try {
            return f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            p.destroyForcibly();
            throw new AssertionError(command + " still running after its timeout (its output never came)", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(command + ": " + e.getCause(), e.getCause());
        }
    }
}
