package dev.weir.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.config.EdgeConfig;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The connect phase ({@link Frontend} until the backend is connected), on embedded sockets in virtual time: what the
 * client sends or does while its backend connects (a read is kept pending meanwhile, on every transport).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConnectPhaseTest {

    private TestListener listener;
    private EmbeddedSocket client;

    @BeforeEach
    void newListener() throws Exception {
        listener = new TestListener();
    }

    @AfterEach
    void releaseAll() {
        // Nothing may be left in either socket's queues, and no exception may have reached a pipeline's end.
        if (client != null) {
            assertThat(client.finishAndReleaseAll()).as("messages left in the client socket").isFalse();
        }
        for (EmbeddedSocket s : listener.backendSockets) {
            assertThat(s.finishAndReleaseAll()).as("messages left in the backend socket").isFalse();
        }
    }

    private EmbeddedSocket accept() throws Exception {
        client = listener.accept(EdgeConfig.NONE);
        assertThat(listener.backendSocket().connectPending()).as("the backend connect started").isTrue();
        return client;
    }

    @Test
    void aFinBeforeTheBackendConnectsIsForwardedAfterTheEarlyBytes() throws Exception {
        accept();
        ByteBuf hello = client.receive("hello");
        client.receiveFin();
        EmbeddedSocket backend = listener.backendSocket();

        assertThat(client.isActive()).as("a FIN alone does not abandon the connect").isTrue();
        assertThat(backend.wire).isEmpty();
        // Reading: one read asked when the connect started, one after the batch; none after the FIN.
        assertThat(client.readRequests).isEqualTo(2);

        backend.acceptConnect();
        assertThat(backend.wire).containsExactly("hello", "FIN");
        assertThat(backend.queuedAtFin).as("bytes still queued when the FIN went").isZero();
        assertThat(hello.refCnt()).isZero();
        assertThat(client.isActive()).as("the other direction stays open").isTrue();
        assertThat(client.config().isAutoRead()).as("a client whose input is shut is not read again").isFalse();
        assertThat(listener.closedReasons()).isEmpty();

        backend.receive("world");
        assertThat(client.wire).containsExactly("world");
        backend.receiveFin();
        assertThat(client.wire).as("the second FIN is the close").containsExactly("world", "CLOSE");
        assertThat(backend.wire).containsExactly("hello", "FIN", "CLOSE");
        assertThat(listener.closedReasons()).isEqualTo(Map.of("CLIENT_CLOSED", 1.0));
        assertThat(listener.counter("weir.bytes.received")).isEqualTo(5);
        assertThat(listener.counter("weir.bytes.sent")).isEqualTo(5);
        assertThat(listener.backend.activeConnections()).isZero();
    }

    @Test
    void earlyBytesAreReplayedInOrderOnceThenRelayed() throws Exception {
        accept();
        List<ByteBuf> sent = List.of(client.receive("one-"), client.receive("two-"), client.receive("three"));
        EmbeddedSocket backend = listener.backendSocket();
        assertThat(backend.wire).isEmpty();

        backend.acceptConnect();
        assertThat(backend.wire).containsExactly("one-two-three");
        assertThat(sent).allSatisfy(b -> assertThat(b.refCnt()).isZero());
        assertThat(client.config().isAutoRead()).as("relaying: the client is read").isTrue();

        ByteBuf four = client.receive("-four");
        assertThat(backend.wire).containsExactly("one-two-three-four");
        assertThat(four.refCnt()).isZero();

        client.receiveFin();
        backend.receiveFin();
        assertThat(listener.closedReasons()).isEqualTo(Map.of("CLIENT_CLOSED", 1.0));
        assertThat(listener.counter("weir.bytes.received")).isEqualTo("one-two-three-four".length());
        assertThat(listener.backend.bytesToBackend()).isEqualTo("one-two-three-four".length());
    }

    @Test
    void earlyBytesAreReadOnlyUpToTheHighWatermark() throws Exception {
        accept();
        int high = listener.waterMark.high(); // 64
        String chunk = "x".repeat(30);
        assertThat(client.readRequests).as("a read is kept pending while connecting").isEqualTo(1);
        client.receive(chunk);
        assertThat(client.readRequests).as("30 of 64 bytes queued: reading goes on").isEqualTo(2);
        client.receive(chunk);
        assertThat(client.readRequests).as("60 of 64 bytes queued: reading goes on").isEqualTo(3);
        client.receive(chunk);
        assertThat(client.readRequests).as("90 bytes queued, over " + high + ": reading stops").isEqualTo(3);

        listener.backendSocket().acceptConnect();
        assertThat(listener.backendSocket().wire).containsExactly(chunk.repeat(3));
        assertThat(client.readRequests).as("relaying: the client is read again").isGreaterThan(3);
        client.close();
    }

    @Test
    void aFailedConnectClosesTheClientAndReleasesWhatCameEarly() throws Exception {
        accept();
        ByteBuf hello = client.receive("hello");
        client.receiveFin();
        EmbeddedSocket backend = listener.backendSocket();

        backend.refuseConnect();
        assertThat(client.isOpen()).isFalse();
        assertThat(client.wire).containsExactly("CLOSE");
        assertThat(backend.isOpen()).as("a failed connect's socket is closed").isFalse();
        assertThat(backend.wire).containsExactly("CLOSE");
        assertThat(hello.refCnt()).isZero();
        assertThat(listener.closedReasons()).isEqualTo(Map.of("CONNECT_FAILED", 1.0));
        assertThat(listener.counter("weir.connect.failures", "cause", "refused")).isEqualTo(1);
        assertThat(listener.backend.activeConnections()).isZero();
        assertThat(listener.finished).isEqualTo(1);
    }

    @Test
    void aResetDuringTheConnectAbandonsItAndClosesTheBackendSocket() throws Exception {
        accept();
        ByteBuf hello = client.receive("hello");
        EmbeddedSocket backend = listener.backendSocket();

        client.receiveReset();
        assertThat(client.isOpen()).isFalse();
        assertThat(backend.isOpen()).as("the socket being connected is closed").isFalse();
        assertThat(backend.wire).as("nothing was sent to the backend").containsExactly("CLOSE");
        assertThat(hello.refCnt()).isZero();
        assertThat(listener.closedReasons()).isEqualTo(Map.of("CLIENT_ERROR", 1.0));
        assertThat(listener.registry.find("weir.connect.failures").counters())
                .as("an abandoned connect is not a backend's failure").isEmpty();
        assertThat(listener.backend.connectFailures()).isZero();
        assertThat(listener.backend.activeConnections()).isZero();
        assertThat(listener.backendSockets).as("no second try").hasSize(1);
        assertThat(listener.finished).isEqualTo(1);
    }

    @Test
    void theMaxDurationCapEndsAConnectionInVirtualTime() throws Exception {
        client = listener.accept(new EdgeConfig(null, null, List.of(), List.of(), null, Duration.ofSeconds(10)));
        EmbeddedSocket backend = listener.backendSocket();
        backend.acceptConnect();
        client.receive("ping");
        backend.receive("pong");

        listener.advance(client, 9_999, TimeUnit.MILLISECONDS);
        assertThat(client.isOpen()).isTrue();
        assertThat(backend.isOpen()).isTrue();

        listener.advance(client, 1, TimeUnit.MILLISECONDS);
        assertThat(client.isOpen()).isFalse();
        assertThat(backend.isOpen()).isFalse();
        assertThat(backend.wire).containsExactly("ping", "CLOSE");
        assertThat(client.wire).containsExactly("pong", "CLOSE");
        assertThat(listener.closedReasons()).isEqualTo(Map.of("MAX_DURATION", 1.0));
    }

    @Test
    void theMaxDurationCapAbandonsAConnectStillPending() throws Exception {
        client = listener.accept(new EdgeConfig(null, null, List.of(), List.of(), null, Duration.ofSeconds(10)));
        EmbeddedSocket backend = listener.backendSocket();
        ByteBuf early = client.receive("early");

        listener.advance(client, 10, TimeUnit.SECONDS);
        assertThat(client.isOpen()).isFalse();
        assertThat(backend.isOpen()).as("the socket being connected is closed").isFalse();
        assertThat(backend.wire).containsExactly("CLOSE");
        assertThat(early.refCnt()).isZero();
        assertThat(listener.closedReasons()).isEqualTo(Map.of("MAX_DURATION", 1.0));
        assertThat(listener.backend.activeConnections()).isZero();
    }
}
