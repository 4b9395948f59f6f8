package dev.weir.proxy.api;

import java.util.List;

/**
 * The traffic of the last minutes, sampled every {@code intervalMillis}: one series per listener and per backend, each
 * at most {@code capacity} points, the oldest first, its last point taken at {@code sampledAtMillis}.
 *
 * @param sampledAtMillis when the newest sample was taken (epoch millis); 0 before the first
 * @param listeners       one per listener, in config order
 * @param backends        one per backend, pool by pool
 */
public record TrafficHistory(long intervalMillis, int capacity, long sampledAtMillis, List<Series> listeners,
                             List<Series> backends) {

    public TrafficHistory {
        listeners = List.copyOf(listeners);
        backends = List.copyOf(backends);
    }

    /**
     * One listener's or backend's points, all of the same length, the oldest first. A series starts when its listener
     * or backend appears, so it may be shorter than another.
     *
     * @param name              the listener's name, or the backend's id
     * @param pool              the backend's pool; null for a listener
     * @param connections       live connections at each sample
     * @param opened            new connections per second since the sample before
     * @param bytesIn           bytes per second from clients (listener) or from the backend (backend)
     * @param bytesOut          bytes per second to clients (listener) or to the backend (backend)
     */
    public record Series(String name, String pool, int[] connections, double[] opened, double[] bytesIn,
                         double[] bytesOut) {
    }
}
