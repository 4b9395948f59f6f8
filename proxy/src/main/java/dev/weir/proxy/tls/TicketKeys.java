package dev.weir.proxy.tls;

import io.micrometer.core.instrument.Counter;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The session ticket keys of one terminating listener (BoringSSL only): made by Weir from {@link SecureRandom},
 * set on every certificate's context of the listener, so each event loop (they share the contexts) issues and
 * accepts the same tickets. Every {@code rotate} a new key issues the tickets and the previous one still decrypts
 * for one more period, so a ticket resumes for at least {@code rotate} after it was issued (up to its lifetime);
 * a ticket under a kept older key resumes and is replaced by one under the new key. The keys live as long as the
 * listener, not one reload: a reload's new contexts get the same keys (see {@link #next}), so clients resume across
 * it. Nothing is written to disk; a restart makes new keys.
 *
 * <p>Thread rule: the control thread (contexts are loaded in a reload's prepare step there; the rotation timer is
 * Weir's, there too). {@link OpenSslSessionContext#setTicketKeys} takes the context's own lock, so the handshakes
 * of the event loops go on meanwhile.
 */
final class TicketKeys {

    /** The issuing key and the one before it. */
    static final int KEPT = 2;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Duration rotate;
    private final Counter rotations;
    private List<OpenSslSessionTicketKey> keys; // the issuing key first
    private long rotatedAt; // System.nanoTime()

    private TicketKeys(Duration rotate, Counter rotations, List<OpenSslSessionTicketKey> keys, long rotatedAt) {
        this.rotate = rotate;
        this.rotations = rotations;
        this.keys = keys;
        this.rotatedAt = rotatedAt;
    }

    /** A first key, issuing from now. */
    static TicketKeys start(Duration rotate, Counter rotations) {
        return new TicketKeys(rotate, rotations, List.of(newKey()), System.nanoTime());
    }

    /**
     * The keys of a reloaded listener: the same keys and schedule, rotating every {@code rotate} from now on. A
     * copy, so that a reload that fails leaves the running listener's keys as they were.
     */
    TicketKeys next(Duration rotate) {
        return new TicketKeys(rotate, rotations, keys, rotatedAt);
    }

    /** Sets the keys on {@code contexts} (OpenSSL server contexts), the issuing key first. */
    void applyTo(List<SslContext> contexts) {
        OpenSslSessionTicketKey[] now = keys.toArray(new OpenSslSessionTicketKey[0]);
        for (SslContext c : contexts) {
            ((OpenSslSessionContext) c.sessionContext()).setTicketKeys(now);
        }
    }

    /** Rotates when {@code rotate} has passed since the last rotation; true when it did (then apply the keys). */
    boolean rotateIfDue(long nanoTime) {
        if (nanoTime - rotatedAt < rotate.toNanos()) {
            return false;
        }
        List<OpenSslSessionTicketKey> next = new ArrayList<>(KEPT);
        next.add(newKey());
        next.addAll(keys.subList(0, Math.min(keys.size(), KEPT - 1)));
        keys = List.copyOf(next);
        rotatedAt = nanoTime;
        rotations.increment();
        return true;
    }

    private static OpenSslSessionTicketKey newKey() {
        byte[] name = new byte[OpenSslSessionTicketKey.NAME_SIZE];
        byte[] hmac = new byte[OpenSslSessionTicketKey.HMAC_KEY_SIZE];
        byte[] aes = new byte[OpenSslSessionTicketKey.AES_KEY_SIZE];
        RANDOM.nextBytes(name);
        RANDOM.nextBytes(hmac);
        RANDOM.nextBytes(aes);
        return new OpenSslSessionTicketKey(name, hmac, aes);
    }
}
