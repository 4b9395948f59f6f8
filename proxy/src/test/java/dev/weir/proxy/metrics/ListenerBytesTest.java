package dev.weir.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.sample.BackendSample;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A listener's byte counters move as bytes pass, not when a connection closes: a stream still open shows what it
 * relayed so far in {@code /api/v1/listeners} and {@code /metrics}, and its close adds nothing twice.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ListenerBytesTest {

    private static final int CHUNK = 64 * 1024;

    @Test
    void aStreamStillOpenIsCountedAsItPassesAndItsCloseAddsNothingTwice() throws Exception {
        BackendSample echo = BackendSample.start("e", "127.0.0.1", 0, null);
        try (RunningWeir proxy = TestConfig.to(TestConfig.local(echo.port())).admin(null).start()) {
            long relayed = 0;
            try (Socket s = proxy.connect()) {
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                byte[] chunk = new byte[CHUNK];
                Arrays.fill(chunk, (byte) 'x');
                for (int i = 0; i < 16; i++) { // 1 MiB each way, a chunk at a time so neither side's buffers fill up
                    out.write(chunk);
                    out.flush();
                    assertThat(in.readNBytes(CHUNK)).hasSize(CHUNK);
                    relayed += CHUNK;
                }
                long soFar = relayed;
                // The connection is still open: the echo holds it until the client closes.
                await().untilAsserted(() -> {
                    assertThat(listener(proxy)).containsExactly(soFar, soFar);
                    assertThat(scraped(proxy)).containsExactly(soFar, soFar);
                });
                assertThat(proxy.metrics().closedCount("CLIENT_CLOSED")).isZero();
            }
            await().until(() -> proxy.metrics().closedCount("CLIENT_CLOSED") == 1.0);
            assertThat(listener(proxy)).containsExactly(relayed, relayed);
            assertThat(scraped(proxy)).containsExactly(relayed, relayed);
        } finally {
            echo.close();
        }
    }

    /** bytes_received, bytes_sent of listener {@code l} in {@code /api/v1/listeners}. */
    private static long[] listener(RunningWeir proxy) throws Exception {
        JsonNode l = new ObjectMapper().readTree(proxy.get("/api/v1/listeners").body()).get("listeners").get(0);
        assertThat(l.get("name").asText()).isEqualTo("l");
        return new long[] {l.get("bytes_received").asLong(), l.get("bytes_sent").asLong()};
    }

    /** weir_bytes_received_total, weir_bytes_sent_total of listener {@code l} in {@code /metrics}. */
    private static long[] scraped(RunningWeir proxy) {
        String body = proxy.get("/metrics").body();
        return new long[] {sample(body, "weir_bytes_received_total"), sample(body, "weir_bytes_sent_total")};
    }

    private static long sample(String body, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{listener=\"l\"\\} (\\S+)$").matcher(body);
        assertThat(m.find()).as(name + " in /metrics").isTrue();
        return (long) Double.parseDouble(m.group(1));
    }
}
