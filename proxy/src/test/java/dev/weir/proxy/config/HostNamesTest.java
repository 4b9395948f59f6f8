package dev.weir.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Validate asks DNS nothing for a plain IPv4 address, and only for what the JDK itself reads as one. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostNamesTest {

    @Test
    void onlyWhatTheJdkReadsAsAnAddressSkipsResolving() {
        for (String host : List.of("0.0.0.0", "10.0.0.1", "127.0.0.1", "255.255.255.255", "192.168.100.10")) {
            assertThat(Addresses.isDottedQuad(host)).as(host).isTrue();
            InetSocketAddress resolved = new InetSocketAddress(host, 80);
            assertThat(resolved.isUnresolved()).as(host).isFalse();
            assertThat(resolved.getAddress().getHostAddress()).isEqualTo(host);
        }
        for (String host : List.of("", "1.2.3", "1.2.3.4.5", "256.0.0.1", "010.0.0.1", "1..2.3", "1.2.3.", ".1.2.3",
                "1234.1.1.1", "a.b.c.d", "localhost", "::1", "1.2.3.4a")) {
            assertThat(Addresses.isDottedQuad(host)).as(host).isFalse();
        }
    }
}
