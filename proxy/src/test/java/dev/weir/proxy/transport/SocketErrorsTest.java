package dev.weir.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.unix.Errors;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Socket failures in words, for the ones loopback cannot produce (a refused connect is checked end to end on every
 * transport in LogWordsTest): Netty's native messages and errnos, the JDK's messages, and anything else as it is.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SocketErrorsTest {

    @Test
    void nettysNativeMessagesAreReadByTheirErrno() {
        assertThat(SocketErrors.describe(new ConnectException("finishConnect(..) failed with error(-111): Connection refused")))
                .isEqualTo("connection refused");
        assertThat(SocketErrors.describe(new ConnectException("finishConnect(..) failed with error(-110): Connection timed out")))
                .isEqualTo("timed out");
        assertThat(SocketErrors.describe(new ConnectException("connect(..) failed with error(-113): No route to host")))
                .isEqualTo("no route to host");
        assertThat(SocketErrors.describe(new Errors.NativeIoException("readAddress", -104))).isEqualTo("connection reset");
        assertThat(SocketErrors.describe(new NoRouteToHostException())).isEqualTo("network unreachable");
    }

    @Test
    void theJdksMessagesAndTimeoutsReadTheSame() {
        assertThat(SocketErrors.describe(new ConnectException("Connection refused"))).isEqualTo("connection refused");
        assertThat(SocketErrors.describe(new NoRouteToHostException("No route to host"))).isEqualTo("no route to host");
        assertThat(SocketErrors.describe(new SocketException("Network is unreachable"))).isEqualTo("network unreachable");
        assertThat(SocketErrors.describe(new ConnectTimeoutException("connection timed out after 5000 ms: /10.0.0.1:80")))
                .isEqualTo("timed out");
    }

    @Test
    void anythingElseKeepsItsFirstLineWithoutQuotes() {
        assertThat(SocketErrors.describe(new SocketException("odd \"thing\"\nsecond line"))).isEqualTo("odd 'thing'");
        assertThat(SocketErrors.describe(new IllegalStateException())).isEqualTo("IllegalStateException");
        assertThat(SocketErrors.describe(null)).isEqualTo("unknown");
    }
}
