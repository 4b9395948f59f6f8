package dev.weir.proxy;

import static dev.weir.proxy.TestConfig.local;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.sample.BackendSample;
import java.io.OutputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Bytes pass through untouched: many concurrent clients, MiB each, compared by SHA-256, on every transport. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RelayIntegrityTest {

    private static final int CLIENTS = 200;
    private static BackendSample echo1;
    private static BackendSample echo2;
    private static ExecutorService pool;

    @BeforeAll
    static void backends() throws Exception {
        echo1 = BackendSample.start("echo1", "127.0.0.1", 0, null);
        echo2 = BackendSample.start("echo2", "127.0.0.1", 0, null);
        pool = Executors.newFixedThreadPool(2 * CLIENTS);
    }

    @AfterAll
    static void stop() {
        pool.shutdownNow();
        echo1.close();
        echo2.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void concurrentClientsGetTheirBytesBackExactly(String transport) throws Exception {
        allBytesBack(transport, config -> config);
    }

    /** epoll loops that block at once (event-loop-spin: 0s; the default spins) lose and reorder nothing either. */
    @Test
    void concurrentClientsGetTheirBytesBackExactlyFromLoopsThatDoNotSpin() throws Exception {
        allBytesBack("epoll", config -> config.set("event-loop-spin", "0s"));
    }

    private static void allBytesBack(String transport, UnaryOperator<TestConfig> more) throws Exception {
        TestConfig config = TestConfig.to(local(echo1.port()), local(echo2.port())).transport(transport);
        try (RunningWeir proxy = more.apply(config).start()) {
            assertThat(proxy.weir().transport()).isEqualTo(transport);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                int seed = i;
                results.add(pool.submit(() -> roundTrip(proxy, seed)));
            }
            int ok = 0;
            for (Future<Boolean> r : results) {
                if (r.get(150, TimeUnit.SECONDS)) {
                    ok++;
                }
            }
            assertThat(ok).isEqualTo(CLIENTS);
        }
    }

    /** Sends 1–4 MiB of seeded random bytes (writer thread) while reading the echo; true if the digests match. */
    private static boolean roundTrip(RunningWeir proxy, int seed) throws Exception {
        Random random = new Random(seed);
        int size = (1 << 20) + random.nextInt(3 << 20);
        byte[] data = new byte[size];
        random.nextBytes(data);
        // Keep a line start from spelling "whoami": the echo backend answers that line instead of echoing it.
        data[0] = 'x';
        for (int i = 1; i < size; i++) {
            if (data[i - 1] == '\n' && data[i] == 'w') {
                data[i] = 'x';
            }
        }
        try (Socket s = proxy.connect()) {
            Future<?> writer = pool.submit(() -> {
                OutputStream out = s.getOutputStream();
                int off = 0;
                while (off < size) {
                    int n = Math.min(64 * 1024, size - off);
                    out.write(data, off, n);
                    off += n;
                }
                s.shutdownOutput();
                return null;
            });
            Sockets.Digested got = Sockets.digestToEof(s.getInputStream());
            writer.get();
            byte[] want = MessageDigest.getInstance("SHA-256").digest(data);
            return got.bytes() == size && MessageDigest.isEqual(want, got.sha256());
        }
    }
}
