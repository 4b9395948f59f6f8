package dev.weir.proxy.balance;

/**
 * The one 64-bit hash behind ip-hash. Fixed forever: every Weir instance, of any version, must
 * compute the same value, or client affinity across a fleet breaks. {@code HashingTest} pins it.
 *
 * <pre>
 * hash(seed, bytes) = fmix64(fnv1a64(seed, bytes[0], ..., bytes[n-1]))
 * </pre>
 *
 * <ul>
 *   <li>{@code fnv1a64}: FNV-1a 64: {@code h = 0xcbf29ce484222325}; for each byte {@code b}
 *       (the seed byte first): {@code h ^= b & 0xff; h *= 0x100000001b3} (mod 2^64).
 *   <li>{@code fmix64}: the MurmurHash3 64-bit finalizer ({@code h ^= h >>> 33;
 *       h *= 0xff51afd7ed558ccd; h ^= h >>> 33; h *= 0xc4ceb9fe1a85ec53; h ^= h >>> 33}).
 *       FNV-1a alone mixes its last bytes poorly; the finalizer spreads them over all 64 bits.
 * </ul>
 *
 * The seed byte gives independent hashes of the same bytes: {@link #SEED_OFFSET} and
 * {@link #SEED_SKIP} for a backend key, {@link #SEED_CLIENT} for a client address. Results are
 * unsigned 64-bit values; reduce them with {@link #mod}.
 */
final class Hashing {

    static final byte SEED_OFFSET = 0;
    static final byte SEED_SKIP = 1;
    static final byte SEED_CLIENT = 2;

    private static final long FNV_OFFSET_BASIS = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private Hashing() {}

    static long hash(byte seed, byte[] bytes) {
        long h = FNV_OFFSET_BASIS;
        h = (h ^ (seed & 0xff)) * FNV_PRIME;
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * FNV_PRIME;
        }
        return fmix64(h);
    }

    static long fmix64(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** {@code hash mod m}, reading {@code hash} as unsigned. */
    static int mod(long hash, int m) {
        return (int) Long.remainderUnsigned(hash, m);
    }
}
