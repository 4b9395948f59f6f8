package dev.weir.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.api.ReloadResult;
import dev.weir.proxy.control.Weir;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Certificates renewed in place while clients keep handshaking: 1,000 new handshakes from a few threads, the files
 * replaced part way through (then reloaded through the API, or noticed by {@code reload.watch}), then replaced by a
 * broken file. No handshake fails; once one handshake saw the new serial, every later one does; the broken file
 * fails its reload with the reason and the renewed certificate stays.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TlsRotationTest {

    private static final int HANDSHAKES = 1000;
    private static final int THREADS = 4;

    @TempDir
    static Path dir;
    private static TestPki.Issued ca;
    private static BackendSample echo;

    @BeforeAll
    static void start() throws Exception {
        ca = TestPki.ca("rotation ca");
        echo = BackendSample.start("e", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() {
        echo.close();
    }

    @Test
    void renewedFilesReloadedThroughTheApiDuringAStreamOfHandshakes() throws Exception {
        Path certFile = dir.resolve("api.pem");
        Path keyFile = dir.resolve("api.key");
        TestPki.Issued first = ca.issue("web.test", "web.test");
        TestPki.Issued second = ca.issue("web.test", "web.test");
        copy(first.write(dir, "api-1"), certFile, keyFile);
        try (RunningWeir proxy = terminating(certFile, keyFile).start()) {
            Stream stream = Stream.start(proxy.address());
            await().atMost(Duration.ofSeconds(60)).until(() -> stream.started.get() >= HANDSHAKES / 4);
            copy(second.write(dir, "api-2"), certFile, keyFile);
            ReloadResult renewed = proxy.weir().reload(proxy.weir().config());
            long renewedAt = System.nanoTime();
            assertThat(renewed.outcome()).as(String.valueOf(renewed)).isEqualTo(ReloadResult.Outcome.RELOADED);

            await().atMost(Duration.ofSeconds(60)).until(() -> stream.started.get() >= HANDSHAKES * 3 / 5);
            Files.writeString(certFile, "not a certificate\n");
            ReloadResult broken = proxy.weir().reload(proxy.weir().config());
            assertThat(broken.outcome()).isEqualTo(ReloadResult.Outcome.FAILED);
            assertThat(broken.errors()).singleElement().asString()
                    .startsWith("listeners.l.tls.certificates[0].cert: " + certFile);

            List<Handshake> all = stream.finish();
            assertThat(all.stream().filter(h -> h.start > renewedAt))
                    .as("every handshake after the reload returned, the broken file's included").isNotEmpty()
                    .allSatisfy(h -> assertThat(h.serial).isEqualTo(second.serial()));
            assertRotated(proxy, all, first, second);
        }
    }

    @Test
    void renewedFilesNoticedByTheWatchDuringAStreamOfHandshakes() throws Exception {
        Path certFile = dir.resolve("watched.pem");
        Path keyFile = dir.resolve("watched.key");
        TestPki.Issued first = ca.issue("web.test", "web.test");
        TestPki.Issued second = ca.issue("web.test", "web.test");
        copy(first.write(dir, "watched-1"), certFile, keyFile);
        Logger weirLog = (Logger) LoggerFactory.getLogger(Weir.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        weirLog.addAppender(lines);
        try (RunningWeir proxy = terminating(certFile, keyFile).set("reload.watch", true).start()) {
            Stream stream = Stream.start(proxy.address());
            await().atMost(Duration.ofSeconds(60)).until(() -> stream.started.get() >= HANDSHAKES / 4);
            copy(second.write(dir, "watched-2"), certFile, keyFile);
            await().atMost(Duration.ofSeconds(30)).until(() -> stream.saw(second.serial()));
            assertThat(proxy.counted("weir.reloads", "result", "RELOADED")).isGreaterThanOrEqualTo(1.0);

            await().atMost(Duration.ofSeconds(60)).until(() -> stream.started.get() >= HANDSHAKES * 3 / 5);
            Files.writeString(certFile, "not a certificate\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> proxy.counted("weir.reloads", "result", "FAILED") >= 1);
            long failedAt = System.nanoTime();
            assertThat(lines.list).map(ILoggingEvent::getFormattedMessage)
                    .anySatisfy(l -> assertThat(l).startsWith("reload error: listeners.l.tls.certificates[0].cert: "));

            List<Handshake> all = stream.finish();
            assertThat(all.stream().filter(h -> h.start > failedAt))
                    .as("every handshake after the broken file's reload failed").isNotEmpty()
                    .allSatisfy(h -> assertThat(h.serial).isEqualTo(second.serial()));
            assertRotated(proxy, all, first, second);
        } finally {
            weirLog.detachAppender(lines);
        }
    }

    /**
     * None failed; both certificates were served; once a handshake had finished with the new certificate, every one
     * that began later got it too (no event loop, no thread went back to the old one).
     */
    private static void assertRotated(RunningWeir proxy, List<Handshake> all, TestPki.Issued first,
                                      TestPki.Issued second) {
        assertThat(all).hasSize(HANDSHAKES).allSatisfy(h -> assertThat(h.serial).isIn(first.serial(), second.serial()));
        long firstNew = all.stream().filter(h -> h.serial.equals(second.serial())).mapToLong(h -> h.end).min()
                .orElseThrow();
        assertThat(all.stream().filter(h -> h.serial.equals(first.serial()))).as("handshakes before the renewal")
                .isNotEmpty();
        assertThat(all.stream().filter(h -> h.start > firstNew))
                .allSatisfy(h -> assertThat(h.serial).as("never back to the old certificate")
                        .isEqualTo(second.serial()));
        assertThat(proxy.counted("weir.tls.handshakes", "result", "ok")).isEqualTo(HANDSHAKES);
        assertThat(proxy.metrics().closedCount("TLS_HANDSHAKE_FAILED")).isZero();
    }

    private static TestConfig terminating(Path cert, Path key) {
        return TestConfig.to(TestConfig.local(echo.port())).set("listeners.l.tls", TestConfig.map("certificates",
                List.of(TestConfig.map("cert", cert.toString(), "key", key.toString()))));
    }

    /** Replaces the files in place, as a renewal does: the same paths, new content. */
    private static void copy(TestPki.Files2 from, Path cert, Path key) throws IOException {
        Files.copy(from.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(from.key(), key, StandardCopyOption.REPLACE_EXISTING);
    }

    /** One handshake: when it began and ended (nanoTime) and the serial it was served. */
    private record Handshake(long start, long end, BigInteger serial) {
    }

    /** {@link #THREADS} threads handshaking one after another until {@link #HANDSHAKES} are done. */
    private static final class Stream {

        final AtomicInteger started = new AtomicInteger();
        final Queue<Handshake> done = new ConcurrentLinkedQueue<>();
        final Queue<Throwable> failed = new ConcurrentLinkedQueue<>();
        final List<Thread> threads = new ArrayList<>();

        static Stream start(InetSocketAddress at) {
            Stream s = new Stream();
            for (int i = 0; i < THREADS; i++) {
                Thread t = new Thread(() -> s.run(at), "handshakes-" + i);
                s.threads.add(t);
                t.start();
            }
            return s;
        }

        private void run(InetSocketAddress at) {
            while (started.getAndIncrement() < HANDSHAKES) {
                long start = System.nanoTime();
                try {
                    BigInteger serial = handshake(at);
                    done.add(new Handshake(start, System.nanoTime(), serial));
                } catch (Exception | AssertionError e) {
                    failed.add(e);
                }
            }
        }

        /** A new client each time: a cached session would be resumed with the certificate it began with. */
        private static BigInteger handshake(InetSocketAddress at) throws IOException {
            try (SSLSocket s = (SSLSocket) TestPki.client(ca, null).getSocketFactory().createSocket()) {
                s.setSoTimeout(20_000);
                s.connect(at, 5_000);
                SSLParameters p = s.getSSLParameters();
                p.setServerNames(List.of(new SNIHostName("web.test")));
                s.setSSLParameters(p);
                s.startHandshake();
                return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
            }
        }

        boolean saw(BigInteger serial) {
            return done.stream().anyMatch(h -> h.serial.equals(serial));
        }

        List<Handshake> finish() throws InterruptedException {
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(90));
            }
            assertThat(failed).as("failed handshakes").isEmpty();
            return List.copyOf(done);
        }
    }
}
