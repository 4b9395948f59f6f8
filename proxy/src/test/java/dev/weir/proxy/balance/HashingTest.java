package dev.weir.proxy.balance;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Pins the ip-hash function. Affinity across a fleet and across versions depends on these values:
 * if a golden value changes, the change breaks every mixed-version deployment. Do not update them.
 */
@Timeout(60)
class HashingTest {

    private static final byte[] KEY = "127.0.0.1:9001".getBytes(StandardCharsets.UTF_8);
    private static final byte[] IP_10_0_0_1 = {10, 0, 0, 1};

    @Test
    void goldenValues() {
        assertThat(Hashing.hash(Hashing.SEED_OFFSET, KEY)).isEqualTo(GOLDEN_KEY_OFFSET);
        assertThat(Hashing.hash(Hashing.SEED_SKIP, KEY)).isEqualTo(GOLDEN_KEY_SKIP);
        assertThat(Hashing.hash(Hashing.SEED_CLIENT, IP_10_0_0_1)).isEqualTo(GOLDEN_CLIENT);
        assertThat(Hashing.hash(Hashing.SEED_CLIENT, new byte[0])).isEqualTo(GOLDEN_EMPTY);
    }

    @Test
    void goldenMaglevPositions() {
        assertThat(Hashing.mod(Hashing.hash(Hashing.SEED_OFFSET, KEY), Maglev.TABLE_SIZE)).isEqualTo(GOLDEN_OFFSET);
        assertThat(Hashing.mod(Hashing.hash(Hashing.SEED_SKIP, KEY), Maglev.TABLE_SIZE - 1) + 1).isEqualTo(GOLDEN_SKIP);
        assertThat(Maglev.slotOf(TestBackends.ip(IP_10_0_0_1))).isEqualTo(GOLDEN_SLOT);
    }

    /** The javadoc's definition, computed independently with exact arithmetic mod 2^64. */
    @Test
    void matchesDocumentedDefinition() {
        String[] inputs = {"", "a", "127.0.0.1:9001", "backend.example:443", "ünïcode:1"};
        for (String s : inputs) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            for (byte seed = 0; seed <= 2; seed++) {
                assertThat(Hashing.hash(seed, bytes)).as("%s seed %d", s, seed).isEqualTo(reference(seed, bytes));
            }
        }
    }

    @Test
    void fnv1aPartMatchesPublishedVectors() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c: with seed byte 'a' and no other bytes the
        // FNV part is exactly that, so hash = fmix64 of it.
        assertThat(Hashing.hash((byte) 'a', new byte[0])).isEqualTo(Hashing.fmix64(0xaf63dc4c8601ec8cL));
        // "foobar" -> 0x85944171f73967e8.
        assertThat(Hashing.hash((byte) 'f', "oobar".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(Hashing.fmix64(0x85944171f73967e8L));
    }

    @Test
    void modIsUnsigned() {
        assertThat(Hashing.mod(-1L, 65537)).isEqualTo(Long.remainderUnsigned(-1L, 65537)).isNotNegative();
    }

    private static final BigInteger MASK = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private static long reference(byte seed, byte[] bytes) {
        BigInteger h = new BigInteger("cbf29ce484222325", 16);
        BigInteger prime = new BigInteger("100000001b3", 16);
        byte[] all = new byte[bytes.length + 1];
        all[0] = seed;
        System.arraycopy(bytes, 0, all, 1, bytes.length);
        for (byte b : all) {
            h = h.xor(BigInteger.valueOf(b & 0xff)).multiply(prime).and(MASK);
        }
        h = h.xor(h.shiftRight(33));
        h = h.multiply(new BigInteger("ff51afd7ed558ccd", 16)).and(MASK);
        h = h.xor(h.shiftRight(33));
        h = h.multiply(new BigInteger("c4ceb9fe1a85ec53", 16)).and(MASK);
        h = h.xor(h.shiftRight(33));
        return h.longValue();
    }

    // Computed once by this implementation (2026-11). Never regenerate: see the class comment.
    private static final long GOLDEN_KEY_OFFSET = 0x486d4ae2d3b3bf68L;
    private static final long GOLDEN_KEY_SKIP = 0x3a5d84a48cd162b8L;
    private static final long GOLDEN_CLIENT = 0x49702a0d94a825a2L;
    private static final long GOLDEN_EMPTY = 0x5aec852590056221L;
    private static final int GOLDEN_OFFSET = 60971;
    private static final int GOLDEN_SKIP = 25273;
    private static final int GOLDEN_SLOT = 29080;
}
