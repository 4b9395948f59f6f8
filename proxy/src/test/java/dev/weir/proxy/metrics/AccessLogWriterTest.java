package dev.weir.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The access log's writer: lines in the order offered, a full queue that drops and counts without making the caller
 * wait, a summary of the drops at most once per interval (in the writer's clock), and a close that writes what is
 * queued. The sink is held on a latch where a test needs the writer to be behind.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AccessLogWriterTest {

    private final Logger summaries = (Logger) LoggerFactory.getLogger("test.access-log-writer");
    private final ListAppender<ILoggingEvent> said = new ListAppender<>();
    private final List<String> written = new CopyOnWriteArrayList<>();
    private final AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    private AccessLogWriter<String> writer;

    @BeforeEach
    void capture() {
        summaries.setLevel(Level.INFO);
        said.start();
        summaries.addAppender(said);
    }

    @AfterEach
    void release() throws InterruptedException {
        if (writer != null) {
            writer.close(5000);
        }
        summaries.detachAppender(said);
    }

    /** A sink that holds the first line it gets until {@code release} opens, then writes every line. */
    private Consumer<String> held(CountDownLatch holding, CountDownLatch release) {
        return line -> {
            holding.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            written.add(line);
        };
    }

    private AccessLogWriter<String> start(int capacity, Consumer<String> sink) {
        writer = new AccessLogWriter<>("test-access-log", capacity, sink, summaries, clock::get);
        writer.start();
        return writer;
    }

    private List<String> summaryLines() {
        return said.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void linesAreWrittenInTheOrderOffered() {
        AccessLogWriter<String> w = start(64, written::add);
        for (int i = 0; i < 50; i++) {
            w.offer("line " + i);
        }
        await().until(() -> written.size() == 50);
        assertThat(written).containsExactlyElementsOf(IntStream.range(0, 50).mapToObj(i -> "line " + i).toList());
        assertThat(w.dropped()).isZero();
        assertThat(summaryLines()).isEmpty();
    }

    @Test
    void aFullQueueDropsAndCountsWithoutWaitingAndTheWriterSaysSoOnce() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AccessLogWriter<String> w = start(2, held(holding, release));
        w.offer("a");
        holding.await();                 // the writer holds "a": the queue is empty again
        w.offer("b");
        w.offer("c");                    // full
        w.offer("d");
        w.offer("e");                    // dropped, and the caller went on: this thread is here
        assertThat(w.dropped()).isEqualTo(2);
        release.countDown();
        await().until(() -> written.size() == 3);
        assertThat(written).containsExactly("a", "b", "c");
        await().until(() -> summaryLines().size() == 1);
        assertThat(summaryLines()).containsExactly("access log dropped 2 lines in the last 1s: queue full");
        assertThat(said.list.get(0).getLevel()).isEqualTo(Level.WARN);
    }

    @Test
    void dropsAreSummarisedAtMostOncePerInterval() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch holdingAgain = new CountDownLatch(1);
        CountDownLatch releaseAgain = new CountDownLatch(1);
        AccessLogWriter<String> w = start(1, line -> {
            CountDownLatch[] latches = line.equals("first") ? new CountDownLatch[] {holding, release}
                    : line.equals("second") ? new CountDownLatch[] {holdingAgain, releaseAgain} : null;
            if (latches != null) {
                latches[0].countDown();
                try {
                    latches[1].await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            written.add(line);
        });
        w.offer("first");
        holding.await();
        w.offer("x");
        w.offer("dropped 1");
        release.countDown();
        await().until(() -> summaryLines().size() == 1);
        assertThat(summaryLines().get(0)).isEqualTo("access log dropped 1 lines in the last 1s: queue full");

        await().until(() -> written.size() == 2);
        w.offer("second");
        holdingAgain.await();
        w.offer("y");
        w.offer("dropped 2");
        w.offer("dropped 3");
        releaseAgain.countDown();
        await().until(() -> written.size() == 4);
        // 9 s after the first summary (the writer's clock): not yet.
        clock.addAndGet(TimeUnit.SECONDS.toNanos(9));
        w.offer("wake");
        await().until(() -> written.size() == 5);
        assertThat(summaryLines()).hasSize(1);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
        w.offer("wake again");
        await().until(() -> summaryLines().size() == 2);
        assertThat(summaryLines().get(1)).isEqualTo("access log dropped 2 lines in the last 10s: queue full");
        assertThat(w.dropped()).isEqualTo(3);
    }

    @Test
    void closeWritesWhatIsQueuedThenDropsLaterLines() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AccessLogWriter<String> w = start(100, held(holding, release));
        for (int i = 0; i < 100; i++) {
            w.offer("line " + i);
        }
        holding.await();
        AtomicBoolean finished = new AtomicBoolean();
        Thread closing = new Thread(() -> {
            try {
                finished.set(w.close(10_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        closing.start();
        // The close waits for the writer, which holds its first line until the closing thread waits too.
        await().until(() -> closing.getState() == Thread.State.TIMED_WAITING);
        release.countDown();
        closing.join();
        assertThat(finished).isTrue();
        assertThat(written).hasSize(100).startsWith("line 0").endsWith("line 99");
        w.offer("late");
        assertThat(w.dropped()).isEqualTo(1);
        assertThat(written).hasSize(100);
    }
}
