package dev.weir.proxy.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One Weir listener shared by every try of a fuzz property. Around the fuzzed connections it keeps
 * a control connection open from the start, and after each try checks that Weir is unharmed: the
 * control connection still relays byte for byte, a new client still gets through, every fuzzed
 * connection has ended with an allowed reason, and nothing was logged at WARN or above.
 */
final class FuzzedListener implements AutoCloseable {

    private final RunningWeir proxy;
    private final MeterRegistry registry;
    private final String listener;
    private final InetSocketAddress address;
    /** What a new client sends before its first byte of payload: a PROXY header, or nothing. */
    private final byte[] prelude;
    private final ExecutorService threads = Executors.newFixedThreadPool(16, r -> {
        Thread t = new Thread(r, "fuzz-client");
        t.setDaemon(true);
        return t;
    });
    private final WarnLog warnings = WarnLog.attach();
    private final Random random = new Random();
    private final Socket control;
    /** Connections made to the listener that have ended or will end (all but the control one). */
    private long ended;
    /** Closes by reason when this try started: each try is judged by what it added. */
    private Map<String, Double> closes = Map.of();

    FuzzedListener(TestConfig config, String listener, byte[] prelude) throws Exception {
        this.proxy = config.start();
        this.registry = proxy.registry();
        this.listener = listener;
        this.address = proxy.address(listener);
        this.prelude = prelude;
        this.control = EdgeSupport.connect(address);
        control.getOutputStream().write(prelude);
        echoesOnControl();
    }

    /**
     * Sends each input on its own connection, all at once; see {@link EdgeSupport#exchange}. First
     * waits for every earlier connection to be counted (a failed try may leave some closing), so
     * that what this try adds to the counters and the log is its own.
     */
    List<EdgeSupport.Received> send(List<byte[]> inputs) throws Exception {
        awaitAllCounted();
        closes = EdgeSupport.closesByReason(registry, listener);
        warnings.clear();
        ended += inputs.size();
        return EdgeSupport.exchangeAll(threads, address, inputs);
    }

    private void awaitAllCounted() {
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(EdgeSupport.closedTotal(registry, listener))
                .as(() -> "every connection but the control one has ended and is counted\n"
                        + EdgeSupport.edgeCounters(registry))
                .isEqualTo((double) ended));
    }

    /** The checks after a try; {@code reasons} are the close reasons fuzzed connections may end with. */
    void assertUnharmed(Set<String> reasons, String expectedWhoami) throws Exception {
        echoesOnControl();
        try (Socket s = EdgeSupport.connect(address)) {
            ended++;
            s.getOutputStream().write(EdgeSupport.concat(prelude, EdgeSupport.ascii("whoami\n")));
            byte[] answer = EdgeSupport.readExactly(s.getInputStream(), expectedWhoami.length() + 1);
            assertThat(new String(answer, StandardCharsets.US_ASCII)).isEqualTo(expectedWhoami + "\n");
        }
        awaitAllCounted();
        Map<String, Double> now = EdgeSupport.closesByReason(registry, listener);
        Set<String> grown = new TreeSet<>();
        now.forEach((reason, n) -> {
            if (n > closes.getOrDefault(reason, 0.0)) {
                grown.add(reason);
            }
        });
        List<String> logged = warnings.lines();
        assertThat(grown).as(() -> "close reasons of this try\n" + EdgeSupport.edgeCounters(registry)).isSubsetOf(reasons);
        assertThat(logged).as("WARN or ERROR lines from Weir or Netty").isEmpty();
        assertThat(proxy.weir().isReady()).isTrue();
    }

    /**
     * Random bytes (never a whoami line) on the control connection come back exactly. The first
     * are at least five and start with 'x', so that an SNI listener sees plain text at once.
     */
    private void echoesOnControl() throws IOException {
        byte[] payload = new byte[5 + random.nextInt(8192)];
        random.nextBytes(payload);
        payload[0] = 'x';
        for (int i = 0; i < payload.length; i++) {
            if (payload[i] == 'w') {
                payload[i] = 'x';
            }
        }
        control.getOutputStream().write(payload);
        InputStream in = control.getInputStream();
        assertThat(EdgeSupport.readExactly(in, payload.length)).as("the control connection").isEqualTo(payload);
    }

    @Override
    public void close() throws IOException {
        try {
            control.close();
        } finally {
            proxy.close();
            threads.shutdownNow();
            warnings.detach();
            try {
                threads.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
