package dev.weir.proxy.edge;

import static dev.weir.proxy.edge.EdgeSupport.V2_SIGNATURE;
import static dev.weir.proxy.edge.EdgeSupport.ascii;
import static dev.weir.proxy.edge.EdgeSupport.concat;
import static dev.weir.proxy.edge.EdgeSupport.hex;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.TestConfig;
import dev.weir.sample.BackendSample;
import dev.weir.sample.LeakCheck;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzzes the PROXY-protocol path of a listener that trusts its clients ({@code trusted: [127.0.0.0/8],
 * timeout: 1s}, in front of an echo backend): valid v1/v2 headers with random addresses, TLVs and
 * payloads; random byte strings; and valid headers with random mutations. Every connection is
 * either proxied correctly (the bytes after a header come back exactly) or closed. One Weir serves
 * every try; after each, {@link FuzzedListener} checks that the rest of Weir is unharmed, and at the
 * end {@link LeakCheck} that no buffer leaked. Each try sends its inputs on parallel connections,
 * so the ones that can only end by the 1s header timeout cost one second per try, not each.
 */
class ProxyProtocolFuzzTest {

    // Must be loaded before anything loads Netty's buffer classes (jqwik runs no Jupiter extension).
    private static final LeakCheck LEAKS = new LeakCheck();
    private static final Set<String> REASONS = Set.of("CLIENT_CLOSED", "BACKEND_CLOSED", "PROXY_MALFORMED", "PROXY_TIMEOUT");
    /** The shortest header ("PROXY UNKNOWN\r\n"): whatever is relayed comes after at least this much. */
    private static final int SHORTEST_HEADER = 15;
    /** A v2 header's version/command and family/protocol bytes and its length (meaningless in v1, harmless). */
    private static final List<Mutations.Field> V2_FIELDS =
            List.of(new Mutations.Field(12, 1), new Mutations.Field(13, 1), new Mutations.Field(14, 2));

    private static BackendSample echo;
    private static FuzzedListener fuzzed;

    @BeforeContainer
    static void start() throws Exception {
        LEAKS.beforeAll(null);
        echo = BackendSample.start("echo", "127.0.0.1", 0, null);
        TestConfig config = TestConfig.to(TestConfig.local(echo.port())).set("shutdown.drain-timeout", "1s")
                .set("listeners.l.proxy-protocol",
                        TestConfig.map("accept", true, "trusted", List.of("127.0.0.0/8"), "timeout", "1s"))
                .set("pools.p.balance", "ip-hash");
        fuzzed = new FuzzedListener(config, "l", EdgeSupport.v1("TCP4", "198.51.100.1", "127.0.0.1", 40000, 443));
    }

    @AfterContainer
    static void stop() throws Exception {
        try {
            if (fuzzed != null) {
                fuzzed.close();
            }
            if (echo != null) {
                echo.close();
            }
        } finally {
            LEAKS.afterAll(null);
        }
    }

    @Property(tries = 30)
    void validHeadersAreStrippedAndTheRestRelayedExactly(@ForAll("validCases") List<byte[][]> cases) throws Exception {
        List<byte[]> inputs = cases.stream().map(c -> concat(c[0], c[1])).toList();
        List<EdgeSupport.Received> got = fuzzed.send(inputs);
        for (int i = 0; i < cases.size(); i++) {
            byte[] header = cases.get(i)[0];
            byte[] payload = cases.get(i)[1];
            assertThat(got.get(i).reset()).as("reset after header %s", hex(header)).isFalse();
            assertThat(got.get(i).bytes()).as("echo after header %s", hex(header)).isEqualTo(payload);
        }
        fuzzed.assertUnharmed(REASONS, "echo");
    }

    @Property(tries = 10)
    void randomBytesAreProxiedOrClosed(@ForAll("randomInputs") List<byte[]> inputs) throws Exception {
        assertProxiedOrClosed(inputs, fuzzed.send(inputs));
        fuzzed.assertUnharmed(REASONS, "echo");
    }

    @Property(tries = 10)
    void mutatedHeadersAreProxiedOrClosed(@ForAll("mutatedInputs") List<byte[]> inputs) throws Exception {
        assertProxiedOrClosed(inputs, fuzzed.send(inputs));
        fuzzed.assertUnharmed(REASONS, "echo");
    }

    /**
     * Without an oracle for what the decoder should accept: whatever comes back must be the tail of
     * what was sent (a header, then the relayed rest), or nothing (closed).
     */
    private static void assertProxiedOrClosed(List<byte[]> inputs, List<EdgeSupport.Received> got) {
        for (int i = 0; i < inputs.size(); i++) {
            byte[] in = inputs.get(i);
            byte[] out = got.get(i).bytes();
            if (out.length > 0) {
                assertThat(EdgeSupport.endsWith(in, out) && out.length <= in.length - SHORTEST_HEADER)
                        .as("got %s back for %s", hex(out), hex(in)).isTrue();
            }
        }
    }

    // ---- generators ----

    @Provide
    Arbitrary<List<byte[][]>> validCases() {
        return Combinators.combine(validHeader(), bytes(0, 3000)).as((h, p) -> new byte[][] {h, p})
                .filter(c -> !EdgeSupport.contains(c[1], ascii("whoami")))
                .list().ofMinSize(1).ofMaxSize(6);
    }

    @Provide
    Arbitrary<List<byte[]>> randomInputs() {
        Arbitrary<byte[]> text = Arbitraries.strings().withChars("PROXY TCP46UNKOW0123456789abcdef.:\r\n ")
                .ofMaxLength(140).map(EdgeSupport::ascii);
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(3, bytes(0, 700)),
                        net.jqwik.api.Tuple.of(2, bytes(0, 300).map(b -> concat(V2_SIGNATURE, b))),
                        net.jqwik.api.Tuple.of(2, bytes(0, 300).map(b -> concat(ascii("PROXY "), b))),
                        net.jqwik.api.Tuple.of(2, text))
                .filter(b -> !EdgeSupport.contains(b, ascii("whoami")))
                .list().ofMinSize(1).ofMaxSize(12);
    }

    @Provide
    Arbitrary<List<byte[]>> mutatedInputs() {
        // Payloads of 120+ bytes: a v1 line without its CRLF then fails at once (108 bytes), not by timeout.
        return Combinators.combine(validHeader(), bytes(120, 400), Mutations.mutations())
                .as((header, payload, mutations) -> concat(Mutations.apply(header, mutations, V2_FIELDS), payload))
                .filter(b -> !EdgeSupport.contains(b, ascii("whoami")))
                .list().ofMinSize(1).ofMaxSize(12);
    }

    private static Arbitrary<byte[]> bytes(int min, int max) {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(min).ofMaxSize(max);
    }

    private static Arbitrary<byte[]> validHeader() {
        Arbitrary<Integer> port = Arbitraries.integers().between(1, 65535);
        Arbitrary<byte[]> v4 = bytes(4, 4);
        Arbitrary<byte[]> v6 = bytes(16, 16);
        Arbitrary<byte[]> v1Tcp4 = Combinators.combine(v4, v4, port, port)
                .as((s, d, sp, dp) -> EdgeSupport.v1("TCP4", ipv4Text(s), ipv4Text(d), sp, dp));
        Arbitrary<byte[]> v1Tcp6 = Combinators.combine(v6, v6, port, port)
                .as((s, d, sp, dp) -> EdgeSupport.v1("TCP6", ipv6Text(s), ipv6Text(d), sp, dp));
        Arbitrary<byte[]> v1Unknown = Arbitraries.of("PROXY UNKNOWN\r\n",
                "PROXY UNKNOWN 198.51.100.1 127.0.0.1 40000 443\r\n", "PROXY UNKNOWN ffff:: ::1 1 2\r\n")
                .map(EdgeSupport::ascii);
        Arbitrary<byte[]> v2Tcp4 = Combinators.combine(v4, v4, port, port, tlvs())
                .as((s, d, sp, dp, t) -> EdgeSupport.v2(EdgeSupport.V2_PROXY, EdgeSupport.TCP4,
                        concat(EdgeSupport.ipv4Block(s, d, sp, dp), t)));
        Arbitrary<byte[]> v2Tcp6 = Combinators.combine(v6, v6, port, port, tlvs())
                .as((s, d, sp, dp, t) -> EdgeSupport.v2(EdgeSupport.V2_PROXY, EdgeSupport.TCP6,
                        concat(EdgeSupport.ipv6Block(s, d, sp, dp), t)));
        // UNSPEC and LOCAL: the peer stays the client; whatever the block holds is skipped.
        Arbitrary<byte[]> v2Unspec = bytes(0, 60).map(b -> EdgeSupport.v2(EdgeSupport.V2_PROXY, 0x00, b));
        Arbitrary<byte[]> v2Local = Combinators.combine(Arbitraries.of(0x00, 0x11, 0x21), bytes(0, 60))
                .as((fam, b) -> EdgeSupport.v2(EdgeSupport.V2_LOCAL, fam, b));
        return Arbitraries.oneOf(v1Tcp4, v1Tcp6, v1Unknown, v2Tcp4, v2Tcp6, v2Unspec, v2Local);
    }

    /** Up to four TLVs well inside max-tlv-size, the SSL one with its own sub-TLVs. */
    private static Arbitrary<byte[]> tlvs() {
        Arbitrary<byte[]> plain = Combinators.combine(Arbitraries.of(0x01, 0x02, 0x04, 0x05, 0x30, 0xE0, 0xEE),
                bytes(0, 200)).as(EdgeSupport::tlv);
        Arbitrary<byte[]> sub = Combinators.combine(Arbitraries.of(0x21, 0x22, 0x23, 0x24, 0x25), bytes(0, 60))
                .as(EdgeSupport::tlv);
        Arbitrary<byte[]> ssl = sub.list().ofMaxSize(3).map(l -> EdgeSupport.sslTlv(concat(l.toArray(byte[][]::new))));
        return Arbitraries.oneOf(plain, ssl).list().ofMaxSize(4).map(l -> concat(l.toArray(byte[][]::new)));
    }

    private static String ipv4Text(byte[] a) {
        return (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
    }

    private static String ipv6Text(byte[] a) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 16; i += 2) {
            sb.append(i == 0 ? "" : ":").append(Integer.toHexString(((a[i] & 0xff) << 8) | (a[i + 1] & 0xff)));
        }
        return sb.toString();
    }
}
