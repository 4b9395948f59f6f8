package dev.weir.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(30)
class CidrTest {

    @Test
    void ipv4Block() throws Exception {
        Cidr block = Cidr.parse("10.0.0.0/8");
        assertThat(block.prefix()).isEqualTo(8);
        assertThat(block.network()).containsExactly(10, 0, 0, 0);
        assertThat(block).hasToString("10.0.0.0/8");
        assertThat(block.contains(ip("10.0.0.0"))).isTrue();
        assertThat(block.contains(ip("10.255.255.255"))).isTrue();
        assertThat(block.contains(ip("11.0.0.0"))).isFalse();
        assertThat(block.contains(ip("9.255.255.255"))).isFalse();
        assertThat(block.contains(ip("fd00::1"))).isFalse();

        Cidr odd = Cidr.parse("192.168.1.0/23");
        assertThat(odd.contains(ip("192.168.0.255"))).isTrue();
        assertThat(odd.contains(ip("192.168.1.1"))).isTrue();
        assertThat(odd.contains(ip("192.168.2.0"))).isFalse();
    }

    @Test
    void ipv6Block() throws Exception {
        Cidr block = Cidr.parse("fd00::/8");
        assertThat(block.prefix()).isEqualTo(8);
        assertThat(block.contains(ip("fd12:3456::1"))).isTrue();
        assertThat(block.contains(ip("fe80::1"))).isFalse();
        assertThat(block.contains(ip("10.0.0.1"))).isFalse();

        Cidr narrow = Cidr.parse("2001:db8:0:1::/64");
        assertThat(narrow.contains(ip("2001:db8:0:1:ffff::1"))).isTrue();
        assertThat(narrow.contains(ip("2001:db8:0:2::1"))).isFalse();
    }

    @Test
    void zeroPrefixHoldsItsWholeFamily() throws Exception {
        assertThat(Cidr.parse("0.0.0.0/0").contains(ip("203.0.113.9"))).isTrue();
        assertThat(Cidr.parse("0.0.0.0/0").contains(ip("::1"))).isFalse();
        assertThat(Cidr.parse("::/0").contains(ip("2001:db8::1"))).isTrue();
        // deny: ["::/0"] means IPv6 clients, not every client.
        assertThat(Cidr.parse("::/0").contains(ip("203.0.113.9"))).isFalse();
    }

    @Test
    void bareAddressIsASingleHost() throws Exception {
        Cidr v4 = Cidr.parse("192.168.1.7");
        assertThat(v4.prefix()).isEqualTo(32);
        assertThat(v4).isEqualTo(Cidr.parse("192.168.1.7/32"));
        assertThat(v4.contains(ip("192.168.1.7"))).isTrue();
        assertThat(v4.contains(ip("192.168.1.8"))).isFalse();

        Cidr v6 = Cidr.parse("::1");
        assertThat(v6.prefix()).isEqualTo(128);
        assertThat(v6).isEqualTo(Cidr.parse("0:0:0:0:0:0:0:1/128"));
        assertThat(v6.contains(ip("::1"))).isTrue();
        assertThat(v6.contains(ip("::2"))).isFalse();
    }

    @Test
    void hostBitsAreMaskedAndEqualityIgnoresSpelling() {
        assertThat(Cidr.parse("10.1.2.3/8")).isEqualTo(Cidr.parse("10.0.0.0/8"))
                .hasSameHashCodeAs(Cidr.parse("10.0.0.0/8"));
        assertThat(Cidr.parse("FD00::/8")).isEqualTo(Cidr.parse("fd00::/8"));
        assertThat(Cidr.parse("10.0.0.0/8")).isNotEqualTo(Cidr.parse("10.0.0.0/9"));
        assertThat(Cidr.parse("0.0.0.0/0")).isNotEqualTo(Cidr.parse("::/0"));
    }

    @Test
    void ipv4MappedClientsMatchIpv4Blocks() throws Exception {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 1, 2, 3};
        // As a dual-stack socket may report it, kept 16 bytes long.
        InetAddress client = Inet6Address.getByAddress(null, mapped, -1);
        assertThat(client.getAddress()).hasSize(16);
        assertThat(Cidr.parse("10.0.0.0/8").contains(client)).isTrue();
        assertThat(Cidr.parse("10.1.2.3").contains(client)).isTrue();
        assertThat(Cidr.parse("11.0.0.0/8").contains(client)).isFalse();

        // A block written in mapped form holds the plain IPv4 client that Java turns the mapped address into.
        Cidr mappedBlock = Cidr.parse("::ffff:10.0.0.0/104");
        assertThat(mappedBlock.prefix()).isEqualTo(104);
        assertThat(mappedBlock.contains(ip("10.1.2.3"))).isTrue();
        assertThat(mappedBlock.contains(ip("11.1.2.3"))).isFalse();
        assertThat(mappedBlock.contains(client)).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''                | not an IP address",
            "hello             | not an IP address",
            "example.com       | not an IP address",
            "999.1.1.1         | not an IP address",
            "1.2.3             | not an IP address",
            "1.2.3.4.5         | not an IP address",
            "010.0.0.0/8       | not an IP address",
            "0x0a.0.0.0/8      | not an IP address",
            "':::'             | not an IP address",
            "1::2::3           | not an IP address",
            "fe80::1%eth0      | not an IP address",
            "[::1]             | not an IP address",
            "10.0.0.0/         | prefix length is not a number",
            "10.0.0.0/x        | prefix length is not a number",
            "10.0.0.0/-1       | prefix length is not a number",
            "10.0.0.0/+8       | prefix length is not a number",
            "10.0.0.0/8/8      | prefix length is not a number",
            "10.0.0.0/33       | prefix length 33 out of 0..32",
            "fd00::/129        | prefix length 129 out of 0..128",
    })
    void garbageIsRefusedWithAReason(String text, String reason) {
        assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessage(reason);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0/0", "255.255.255.255/32", "::/0", "::", "::ffff:1.2.3.4", "2001:db8::/32"})
    void edgeValuesParse(String text) {
        assertThat(Cidr.parse(text).text()).isEqualTo(text);
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal); // literals only: no lookup
    }
}
