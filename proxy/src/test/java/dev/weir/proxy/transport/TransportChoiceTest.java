package dev.weir.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.config.TransportKind;
import io.netty.channel.epoll.Epoll;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What {@code transport: auto} picks, and what the start-up line says about the others. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TransportChoiceTest {

    @Test
    void autoPrefersEpollAndThenHasNothingToExplain() throws Exception {
        // Linux x86_64/aarch64 with the native jars on the class path (this build and its CI).
        assertThat(Epoll.isAvailable()).as("epoll native transport, cause: %s", Epoll.unavailabilityCause()).isTrue();
        assertThat(Transport.choose(TransportKind.AUTO)).isSameAs(Transport.EPOLL);
        assertThat(Transport.unavailabilityReport(Transport.EPOLL)).isEmpty();
    }

    @Test
    void aForcedTransportIsTakenAsIs() throws Exception {
        assertThat(Transport.choose(TransportKind.NIO)).isSameAs(Transport.NIO);
        assertThat(Transport.choose(TransportKind.EPOLL)).isSameAs(Transport.EPOLL);
    }
}
