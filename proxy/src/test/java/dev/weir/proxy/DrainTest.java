package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.api.BackendStatus;
import dev.weir.proxy.backend.BackendState;
import dev.weir.sample.BackendSample;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Draining a backend: live connections finish byte-exact, new ones go elsewhere, the deadline closes the rest. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DrainTest {

    private BackendSample a;
    private BackendSample b;

    @BeforeEach
    void start() throws Exception {
        a = BackendSample.start("a", "127.0.0.1", 0, null);
        b = BackendSample.start("b", "127.0.0.1", 0, null);
    }

    @AfterEach
    void stop() {
        a.close();
        b.close();
    }

    private String id(BackendSample s) {
        return "127.0.0.1:" + s.port();
    }

    private BackendStatus status(RunningWeir proxy, BackendSample s) {
        return proxy.weir().backends("p").stream().filter(x -> x.id().equals(id(s))).findFirst().orElse(null);
    }

    @Test
    void aTransferThroughADrainedBackendCompletesWhileNewClientsGoElsewhere() throws Exception {
        try (RunningWeir proxy = TestConfig.to(id(a), id(b)).set("pools.p.drain-timeout", "5m").start();
             Socket client = proxy.connect()) {
            String name = Sockets.whoami(client);
            BackendSample mine = name.equals("a") ? a : b;
            String other = name.equals("a") ? "b" : "a";

            long total = 100L << 20;
            AtomicLong echoed = new AtomicLong();
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    MessageDigest md = MessageDigest.getInstance("SHA-256");
                    InputStream in = client.getInputStream();
                    byte[] buf = new byte[64 * 1024];
                    int n;
                    while ((n = in.read(buf)) != -1) {
                        md.update(buf, 0, n);
                        echoed.addAndGet(n);
                    }
                    return md.digest();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            OutputStream out = client.getOutputStream();
            Random random = new Random(3);
            byte[] chunk = new byte[64 * 1024];
            boolean drained = false;
            for (long written = 0; written < total; written += chunk.length) {
                random.nextBytes(chunk);
                for (int i = 0; i < chunk.length; i++) {
                    if (chunk[i] == '\n') {
                        chunk[i] = 'n'; // no line can start with "whoami": every byte is echoed
                    }
                }
                out.write(chunk);
                sent.update(chunk);
                if (!drained && written >= total / 2) {
                    proxy.weir().drain("p", id(mine));
                    drained = true;
                    assertThat(status(proxy, mine).state()).isEqualTo(BackendState.DRAINING);
                    for (int i = 0; i < 10; i++) {
                        assertThat(proxy.whoami()).as("new clients avoid the draining backend").isEqualTo(other);
                    }
                    assertThat(status(proxy, mine).activeConnections()).isEqualTo(1);
                    // Drain progress shows live: bytes are counted as they pass, not when the connection ends.
                    long half = total / 2;
                    await().until(() -> status(proxy, mine).bytesToBackend() > half / 2);
                    assertThat(status(proxy, mine).bytesFromBackend()).isPositive();
                }
            }
            client.shutdownOutput();
            assertThat(reader.get(60, TimeUnit.SECONDS)).isEqualTo(sent.digest());
            assertThat(echoed.get()).isEqualTo(total);
            await().until(() -> status(proxy, mine).activeConnections() == 0);
            assertThat(proxy.metrics().closedCount("DRAIN_TIMEOUT")).isZero();
        }
    }

    @Test
    void theDrainTimeoutClosesWhatIsLeftSpreadOverTheCloseSpread() throws Exception {
        try (RunningWeir proxy = TestConfig.to(id(a)).set("pools.p.drain-timeout", "300ms")
                .set("pools.p.close-spread", "1s").start()) {
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) {
                    Socket s = proxy.connect();
                    clients.add(s);
                    assertThat(Sockets.whoami(s)).isEqualTo("a");
                }
                proxy.weir().drain("p", id(a));
                List<CompletableFuture<Long>> closedAt = new ArrayList<>();
                for (Socket s : clients) {
                    closedAt.add(CompletableFuture.supplyAsync(() -> {
                        assertThat(Sockets.closedByPeer(s)).isTrue();
                        return System.nanoTime();
                    }));
                }
                long first = Long.MAX_VALUE;
                long last = 0;
                for (CompletableFuture<Long> f : closedAt) {
                    long t = f.get(30, TimeUnit.SECONDS);
                    first = Math.min(first, t);
                    last = Math.max(last, t);
                }
                assertThat(Duration.ofNanos(last - first)).as("closes are spread, not one burst")
                        .isGreaterThan(Duration.ofMillis(500));
                await().until(() -> proxy.metrics().closedCount("DRAIN_TIMEOUT") == 5.0);
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aRemovedBackendDisappearsAfterItsLastConnection() throws Exception {
        try (RunningWeir proxy = TestConfig.to(id(a), id(b)).set("pools.p.balance", "least-connections").start()) {
            Socket onA = null;
            List<Socket> others = new ArrayList<>();
            try {
                while (onA == null) {
                    Socket s = proxy.connect();
                    if (Sockets.whoami(s).equals("a")) {
                        onA = s;
                    } else {
                        others.add(s);
                    }
                }
                proxy.weir().removeBackend("p", id(a));
                BackendStatus removed = status(proxy, a);
                assertThat(removed.removed()).isTrue();
                assertThat(removed.state()).isEqualTo(BackendState.DRAINING);
                assertThat(Sockets.whoami(onA)).as("its live connection still works").isEqualTo("a");
                assertThat(proxy.whoami()).isEqualTo("b");
                onA.close();
                await().until(() -> status(proxy, a) == null);
                assertThat(proxy.weir().backends("p")).extracting(BackendStatus::id).containsExactly(id(b));
            } finally {
                if (onA != null) {
                    onA.close();
                }
                for (Socket s : others) {
                    s.close();
                }
            }
        }
    }

    @Test
    void disableAndEnableThroughTheApi() throws Exception {
        try (RunningWeir proxy = TestConfig.to(id(a), id(b)).start()) {
            proxy.weir().disable("p", id(a));
            assertThat(status(proxy, a).state()).isEqualTo(BackendState.DISABLED);
            for (int i = 0; i < 6; i++) {
                assertThat(proxy.whoami()).isEqualTo("b");
            }
            proxy.weir().enable("p", id(a));
            assertThat(status(proxy, a).state()).isEqualTo(BackendState.UP);
            List<String> names = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                names.add(proxy.whoami());
            }
            assertThat(names).contains("a", "b");
        }
    }
}
