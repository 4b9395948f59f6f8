package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A client that stops reading while its backend sends 200 MiB: Weir stops reading the backend, so the
 * bytes it holds for that connection stay under the high watermark plus one read ({@code max-read});
 * when the client reads again, every byte arrives intact.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BackpressureTest {

    private static final long TOTAL = 200L << 20;
    private static final int HIGH_WATERMARK = 64 * 1024;
    private static final int SMALL_READS = 64 * 1024;
    private static final int LARGE_READS = 1024 * 1024;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void slowReaderBoundsWhatWeirHolds(String transport) throws Exception {
        long maxHeld = transfer(transport, false, SMALL_READS);
        assertThat(maxHeld).as("max bytes held by Weir for the connection").isLessThanOrEqualTo(HIGH_WATERMARK + SMALL_READS);
    }

    /** Reads larger than the watermark: the bound grows by the read size, no more. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void largeReadsAddOneReadToTheBound(String transport) throws Exception {
        long maxHeld = transfer(transport, false, LARGE_READS);
        assertThat(maxHeld).as("max bytes held by Weir for the connection").isLessThanOrEqualTo(HIGH_WATERMARK + LARGE_READS);
    }

    /**
     * When the backend sends its FIN while Weir is paused, epoll and io_uring read what the kernel
     * already holds for that socket to see the EOF (Netty treats autoRead as a hint there), so the
     * bound becomes 2x the high watermark plus the socket's receive buffer. NIO keeps the strict bound.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void backendFinWhilePausedStaysWithinTheReceiveBuffer(String transport) throws Exception {
        long maxHeld = transfer(transport, true, SMALL_READS);
        long bound = HIGH_WATERMARK + SMALL_READS + ("nio".equals(transport) ? 0 : maxReceiveBuffer());
        assertThat(maxHeld).as("max bytes held by Weir for the connection").isLessThanOrEqualTo(bound);
    }

    private static long maxReceiveBuffer() throws Exception {
        String[] rmem = Files.readAllLines(Path.of("/proc/sys/net/ipv4/tcp_rmem")).get(0).trim().split("\\s+");
        return Long.parseLong(rmem[2]);
    }

    /** Runs the 200 MiB transfer with a paused client; returns the most Weir held at once. */
    private static long transfer(String transport, boolean backendSendsFin, int maxRead) throws Exception {
        AtomicLong written = new AtomicLong();
        CountDownLatch clientDone = new CountDownLatch(1);
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<byte[]> source = CompletableFuture.supplyAsync(() -> {
                try (Socket s = backend.accept()) {
                    MessageDigest sent = MessageDigest.getInstance("SHA-256");
                    OutputStream out = s.getOutputStream();
                    byte[] chunk = new byte[64 * 1024];
                    long seed = 42;
                    while (written.get() < TOTAL) {
                        seed = Sockets.pseudoRandom(chunk, seed);
                        out.write(chunk);
                        sent.update(chunk);
                        written.addAndGet(chunk.length);
                    }
                    if (backendSendsFin) {
                        s.shutdownOutput();
                    }
                    clientDone.await(60, TimeUnit.SECONDS);
                    return sent.digest();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + backend.getLocalPort())
                    .transport(transport).set("max-read", maxRead)
                    .set("listeners.l.write-buffer", TestConfig.map("low", "32KiB", "high", "64KiB")).start();
                 Socket client = proxy.connect()) {
                AtomicLong maxHeld = new AtomicLong();
                AtomicBoolean sampling = new AtomicBoolean(true);
                CompletableFuture<Void> sampler = CompletableFuture.runAsync(() -> {
                    while (sampling.get()) {
                        maxHeld.accumulateAndGet(proxy.weir().bufferedBytes(), Math::max);
                        Thread.onSpinWait();
                    }
                });
                // The client reads nothing: the pipe fills up to the client's socket, then Weir must stop reading.
                await().atMost(Duration.ofSeconds(30)).until(() -> proxy.weir().bufferedBytes() > 0);
                await().pollDelay(Duration.ZERO).during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                        .until(() -> proxy.weir().bufferedBytes() <= HIGH_WATERMARK + maxRead || backendSendsFin);
                assertThat(written.get()).as("the backend is held back, not drained into Weir's memory")
                        .isLessThan(TOTAL);

                MessageDigest got = MessageDigest.getInstance("SHA-256");
                InputStream in = client.getInputStream();
                byte[] buf = new byte[256 * 1024];
                long total = 0;
                int n;
                while (total < TOTAL && (n = in.read(buf)) != -1) {
                    got.update(buf, 0, n);
                    total += n;
                }
                clientDone.countDown();
                sampling.set(false);
                sampler.get(5, TimeUnit.SECONDS);
                assertThat(total).isEqualTo(TOTAL);
                assertThat(got.digest()).isEqualTo(source.get(10, TimeUnit.SECONDS));
                if (backendSendsFin) {
                    assertThat(in.read()).as("the backend's FIN reaches the client").isEqualTo(-1);
                }
                return maxHeld.get();
            }
        }
    }
}
