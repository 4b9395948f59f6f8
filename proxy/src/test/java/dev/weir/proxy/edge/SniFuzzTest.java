package dev.weir.proxy.edge;

import static dev.weir.proxy.edge.EdgeSupport.ascii;
import static dev.weir.proxy.edge.EdgeSupport.concat;
import static dev.weir.proxy.edge.EdgeSupport.hex;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.TestConfig;
import dev.weir.sample.BackendSample;
import dev.weir.sample.LeakCheck;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzzes the SNI peek of a listener whose routes and default pool all lead to echo backends:
 * random byte strings, and real ClientHellos (captured from the JDK's SSLEngine) with random
 * mutations and trailing bytes. The hello is relayed untouched, so every connection either gets
 * back exactly what it sent (routed somewhere) or nothing (closed: oversized, broken or slow).
 * One Weir serves every try; {@link FuzzedListener} checks the rest of Weir after each try, and
 * {@link LeakCheck} the buffers at the end.
 */
class SniFuzzTest {

    // Must be loaded before anything loads Netty's buffer classes (jqwik runs no Jupiter extension).
    private static final LeakCheck LEAKS = new LeakCheck();
    /** SNI_REJECTED: a hello Netty's reader gave up on (oversized, broken) has nothing left to relay. */
    private static final Set<String> REASONS = Set.of("CLIENT_CLOSED", "BACKEND_CLOSED", "SNI_REJECTED");
    /**
     * Record type, version and length; handshake type and the low 16 bits of its length; the
     * ClientHello's version and its session id length.
     */
    private static final List<Mutations.Field> HELLO_FIELDS = List.of(new Mutations.Field(0, 1),
            new Mutations.Field(1, 2), new Mutations.Field(3, 2), new Mutations.Field(5, 1), new Mutations.Field(7, 2),
            new Mutations.Field(9, 2), new Mutations.Field(43, 1));

    private static final List<BackendSample> backends = new ArrayList<>();
    private static FuzzedListener fuzzed;
    private static List<byte[]> hellos;

    @BeforeContainer
    static void start() throws Exception {
        LEAKS.beforeAll(null);
        for (String name : List.of("api", "web", "dflt")) {
            backends.add(BackendSample.start(name, "127.0.0.1", 0, null));
        }
        // max-client-hello at its minimum, so that the fuzz reaches the size cap too.
        TestConfig config = TestConfig.proxy().set("shutdown.drain-timeout", "1s")
                .listener("s", "dflt")
                .set("listeners.s.sni", TestConfig.map("routes", TestConfig.map("api.example.com", "api", "*.example.com", "web"),
                        "default", "dflt", "max-client-hello", 512, "timeout", "1s"))
                .pool("api", TestConfig.local(backends.get(0).port()))
                .pool("web", TestConfig.local(backends.get(1).port()))
                .pool("dflt", TestConfig.local(backends.get(2).port()));
        fuzzed = new FuzzedListener(config, "s", new byte[0]);
        hellos = captureHellos();
    }

    @AfterContainer
    static void stop() throws Exception {
        try {
            if (fuzzed != null) {
                fuzzed.close();
            }
            backends.forEach(BackendSample::close);
        } finally {
            LEAKS.afterAll(null);
        }
    }

    /** ClientHello records as the JDK writes them, for several server names (or none) and ALPN lists. */
    private static List<byte[]> captureHellos() throws Exception {
        SSLContext context = Tls.trustingClientContext();
        List<byte[]> captured = new ArrayList<>();
        String[][] alpns = {{}, {"h2", "http/1.1"}};
        for (String name : Arrays.asList("api.example.com", "www.example.com", "other.test", null)) {
            for (String[] alpn : alpns) {
                SSLEngine engine = context.createSSLEngine();
                engine.setUseClientMode(true);
                engine.setSSLParameters(Tls.clientParameters(engine.getSSLParameters(), name, alpn));
                engine.beginHandshake();
                ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
                engine.wrap(ByteBuffer.allocate(0), out);
                out.flip();
                byte[] hello = new byte[out.remaining()];
                out.get(hello);
                captured.add(hello);
            }
        }
        return captured;
    }

    @Property(tries = 10)
    void randomBytesAreRelayedExactlyOrClosed(@ForAll("randomInputs") List<byte[]> inputs) throws Exception {
        assertRelayedExactlyOrClosed(inputs, fuzzed.send(inputs));
        fuzzed.assertUnharmed(REASONS, "dflt");
    }

    @Property(tries = 10)
    void mutatedClientHellosAreRelayedExactlyOrClosed(@ForAll("mutatedHellos") List<byte[]> inputs) throws Exception {
        assertRelayedExactlyOrClosed(inputs, fuzzed.send(inputs));
        fuzzed.assertUnharmed(REASONS, "dflt");
    }

    @Property(tries = 5)
    void unmutatedClientHellosAreRelayedExactly(@ForAll("intactHellos") List<byte[]> inputs) throws Exception {
        List<EdgeSupport.Received> got = fuzzed.send(inputs);
        for (int i = 0; i < inputs.size(); i++) {
            byte[] in = inputs.get(i);
            int helloLength = ((in[6] & 0xff) << 16) | ((in[7] & 0xff) << 8) | (in[8] & 0xff);
            assertThat(helloLength).as("the JDK's hellos fit max-client-hello").isLessThanOrEqualTo(512);
            assertThat(got.get(i).bytes()).as("echo of %s", hex(in)).isEqualTo(in);
        }
        fuzzed.assertUnharmed(REASONS, "dflt");
    }

    private static void assertRelayedExactlyOrClosed(List<byte[]> inputs, List<EdgeSupport.Received> got) {
        for (int i = 0; i < inputs.size(); i++) {
            byte[] in = inputs.get(i);
            byte[] out = got.get(i).bytes();
            if (out.length > 0) {
                assertThat(out).as("routed, so echoed exactly: %s", hex(in)).isEqualTo(in);
            }
        }
    }

    // ---- generators ----

    private static Arbitrary<byte[]> bytes(int min, int max) {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(min).ofMaxSize(max);
    }

    @Provide
    Arbitrary<List<byte[]>> randomInputs() {
        // A TLS record header (handshake, alert, change cipher spec, application data) with a length
        // that is sometimes right, then a body that may start like a ClientHello.
        Arbitrary<byte[]> record = Combinators.combine(Arbitraries.of(0x14, 0x15, 0x16, 0x17),
                        Arbitraries.of(0x00, 0x01, 0x02, 0x03), Arbitraries.of(true, false), bytes(0, 700))
                .as((type, minor, rightLength, body) -> {
                    int length = rightLength ? body.length : body.length + 1 + (body.length % 7);
                    byte[] start = body.length > 0 && type == 0x16 ? new byte[] {1} : new byte[0];
                    return concat(new byte[] {(byte) (int) type, 0x03, (byte) (int) minor, (byte) (length >> 8),
                            (byte) length}, start, body.length > 0 ? Arrays.copyOfRange(body, 1, body.length) : body);
                });
        return Arbitraries.frequencyOf(Tuple.of(3, bytes(0, 1500)), Tuple.of(3, record))
                .filter(b -> !EdgeSupport.contains(b, ascii("whoami")))
                .list().ofMinSize(1).ofMaxSize(12);
    }

    @Provide
    Arbitrary<List<byte[]>> intactHellos() {
        return Combinators.combine(Arbitraries.of(hellos), bytes(0, 500))
                .as((hello, rest) -> concat(hello, rest))
                .filter(b -> !EdgeSupport.contains(b, ascii("whoami")))
                .list().ofMinSize(1).ofMaxSize(8);
    }

    @Provide
    Arbitrary<List<byte[]>> mutatedHellos() {
        return Combinators.combine(Arbitraries.of(hellos), bytes(0, 200), Mutations.mutations())
                .as((hello, rest, mutations) -> concat(Mutations.apply(hello, mutations, HELLO_FIELDS), rest))
                .filter(b -> !EdgeSupport.contains(b, ascii("whoami")))
                .list().ofMinSize(1).ofMaxSize(12);
    }
}
