package dev.weir.proxy.control;

import dev.weir.proxy.api.TrafficHistory;

/**
 * One listener's or backend's last samples, in fixed arrays written round: live connections, and new connections and
 * bytes both ways per second since the sample before (the counters' differences). Made once; a sample writes into it.
 *
 * <p>Thread rule: the control thread only (see {@link TrafficSampler}).
 */
final class SeriesRing {

    private final int[] connections;
    private final double[] opened;
    private final double[] bytesIn;
    private final double[] bytesOut;
    private int next;
    private int size;
    /** The counters at the sample before; the first sample only sets them. */
    private boolean primed;
    private long lastOpened;
    private long lastIn;
    private long lastOut;
    /** The sampler's round that last saw this series' listener or backend (a stale one is dropped). */
    long round;

    SeriesRing(int capacity) {
        connections = new int[capacity];
        opened = new double[capacity];
        bytesIn = new double[capacity];
        bytesOut = new double[capacity];
    }

    /** A sample: the gauge and the counters now, {@code elapsedMillis} after the sample before. */
    void add(int live, long openedTotal, long inTotal, long outTotal, long elapsedMillis) {
        double perSecond = primed && elapsedMillis > 0 ? 1000.0 / elapsedMillis : 0;
        connections[next] = live;
        // A counter that went back (its meter made again) counts from its new value.
        opened[next] = Math.max(0, openedTotal - lastOpened) * perSecond;
        bytesIn[next] = Math.max(0, inTotal - lastIn) * perSecond;
        bytesOut[next] = Math.max(0, outTotal - lastOut) * perSecond;
        lastOpened = openedTotal;
        lastIn = inTotal;
        lastOut = outTotal;
        primed = true;
        next = (next + 1) % connections.length;
        size = Math.min(size + 1, connections.length);
    }

    /** A copy of the points, the oldest first. */
    TrafficHistory.Series copy(String name, String pool) {
        int[] c = new int[size];
        double[] o = new double[size];
        double[] in = new double[size];
        double[] out = new double[size];
        int start = (next - size + connections.length) % connections.length;
        for (int i = 0; i < size; i++) {
            int at = (start + i) % connections.length;
            c[i] = connections[at];
            o[i] = opened[at];
            in[i] = bytesIn[at];
            out[i] = bytesOut[at];
        }
        return new TrafficHistory.Series(name, pool, c, o, in, out);
    }
}
