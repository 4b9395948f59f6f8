package dev.weir.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each event loop accepts on its own SO_REUSEPORT socket and serves what it accepted; the kernel spreads the clients
 * over the sockets, and {@code weir_event_loop_connections{loop}} shows the spread. A skewed client set (every
 * connection from one address) is still spread: the kernel hashes the source port too.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoopSpreadTest {

    private static final int CLIENTS = 200;

    @Test
    void connectionsFromOneClientAddressAreSpreadOverTheLoopsAndTheGaugeShowsIt() throws Exception {
        BackendSample echo = BackendSample.start("e", "127.0.0.1", 0, null);
        List<Socket> clients = new ArrayList<>();
        try (RunningWeir proxy = TestConfig.to(TestConfig.local(echo.port())).admin(null).start()) {
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(echoed(proxy.address()));
            }
            await().untilAsserted(() -> {
                int[] perLoop = perLoop(proxy);
                assertThat(perLoop).hasSize(2);
                assertThat(perLoop[0] + perLoop[1]).isEqualTo(CLIENTS);
                // Binomial(200, 1/2): below 50 on either side has a chance of about 1e-12.
                assertThat(perLoop[0]).isBetween(50, 150);
            });
            for (Socket s : clients) {
                s.close();
            }
            await().untilAsserted(() -> assertThat(perLoop(proxy)).containsExactly(0, 0));
        } finally {
            for (Socket s : clients) {
                s.close();
            }
            echo.close();
        }
    }

    /** A connection from 127.0.0.1 through the proxy, checked by one echoed line. */
    private static Socket echoed(InetSocketAddress proxy) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(10_000);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.connect(proxy, 5_000);
        s.getOutputStream().write("ping\n".getBytes());
        assertThat(new String(s.getInputStream().readNBytes(5))).isEqualTo("ping\n");
        return s;
    }

    /** weir_event_loop_connections by loop index, from /metrics. */
    private static int[] perLoop(RunningWeir proxy) {
        String body = proxy.get("/metrics").body();
        Matcher m = Pattern.compile("(?m)^weir_event_loop_connections\\{loop=\"(\\d+)\"\\} (\\S+)$").matcher(body);
        int[] counts = new int[0];
        while (m.find()) {
            int loop = Integer.parseInt(m.group(1));
            if (loop >= counts.length) {
                counts = Arrays.copyOf(counts, loop + 1);
            }
            counts[loop] = (int) Double.parseDouble(m.group(2));
        }
        return counts;
    }
}
