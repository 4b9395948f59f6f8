package dev.weir.proxy.relay;

import io.micrometer.core.instrument.Counter;

/**
 * The bytes one connection relayed each way, and how much of them its listener's counters
 * ({@code weir.bytes.received}, {@code weir.bytes.sent}) have been told. The counters hear of bytes once per read
 * batch ({@link #report}), so a long stream shows its progress while it runs without a counter update per read;
 * the last report, at close, adds only what was not reported yet.
 *
 * <p>Thread rule: written on the connection's event loop only; the totals are read racily for status.
 */
final class RelayedBytes {

    private final Counter received;
    private final Counter sent;
    private long fromClient;
    private long fromBackend;
    private long reportedFromClient;
    private long reportedFromBackend;

    RelayedBytes(Counter received, Counter sent) {
        this.received = received;
        this.sent = sent;
    }

    /** {@code n} bytes read from the client and passed on (to the backend, or queued until it connects). */
    void fromClient(long n) {
        fromClient += n;
    }

    /** {@code n} bytes read from the backend and passed to the client. */
    void fromBackend(long n) {
        fromBackend += n;
    }

    long fromClient() {
        return fromClient;
    }

    long fromBackend() {
        return fromBackend;
    }

    /** Adds what passed since the last report to the listener's counters. */
    void report() {
        long up = fromClient - reportedFromClient;
        if (up != 0) {
            received.increment(up);
            reportedFromClient = fromClient;
        }
        long down = fromBackend - reportedFromBackend;
        if (down != 0) {
            sent.increment(down);
            reportedFromBackend = fromBackend;
        }
    }
}
