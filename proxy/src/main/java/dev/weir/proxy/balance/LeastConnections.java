package dev.weir.proxy.balance;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.Balancer;
import java.net.InetAddress;
import java.util.Collection;
import java.util.List;
import java.util.PriorityQueue;

/**
 * least-connections: the untried backend with the lowest {@code activeConnections / weight}
 * (with equal weights, simply the fewest connections; nginx's least_conn rule).
 *
 * <p>The backends are kept in a binary min-heap ordered by that load, like HAProxy's leastconn
 * tree, so a pick does not scan the pool: each backend tells the balancer when its count changes
 * ({@link Backend#watchLoad}), the heap moves that one entry (O(log n), under a lock held for a few
 * dozen nanoseconds), and publishes the least loaded backend in a volatile field that
 * {@link #pick} reads without a lock (O(1)). Backends that tie are ordered by when their count
 * last changed, oldest first, so an idle pool takes connections in turn instead of all on one
 * backend. Between a pick and the count going up another event loop may pick the same backend:
 * that costs one connection's worth of imbalance, as any lock-free read of live counts would.
 *
 * <p>A pick with backends already tried (a retry, or a backend at its max-connections) walks the
 * heap best-first under the lock, visiting about as many entries as were tried.
 */
final class LeastConnections implements Balancer {

    private final Slot[] heap;
    private long changes;
    private volatile Backend least;

    LeastConnections(List<Backend> eligible) {
        heap = new Slot[eligible.size()];
        synchronized (this) {
            // Watch first, then read the counts: a change in between waits for this lock and is
            // then applied with the live count, so none is missed.
            for (int i = 0; i < heap.length; i++) {
                Slot s = new Slot(eligible.get(i), i);
                heap[i] = s;
                s.backend.watchLoad(s);
            }
            for (Slot s : heap) {
                s.active = s.backend.activeConnections();
                s.changed = changes++;
            }
            for (int i = heap.length / 2 - 1; i >= 0; i--) {
                siftDown(i);
            }
            least = heap.length == 0 ? null : heap[0].backend;
        }
    }

    @Override
    public Backend pick(InetAddress client, Collection<Backend> tried) {
        if (tried.isEmpty()) {
            return least;
        }
        synchronized (this) {
            return leastUntried(tried);
        }
    }

    /** Best-first walk of the heap: a child is never less loaded than its parent. */
    private Backend leastUntried(Collection<Backend> tried) {
        if (heap.length == 0) {
            return null;
        }
        PriorityQueue<Slot> frontier = new PriorityQueue<>(LeastConnections::compare);
        frontier.add(heap[0]);
        for (Slot s; (s = frontier.poll()) != null; ) {
            if (!tried.contains(s.backend)) {
                return s.backend;
            }
            for (int child = 2 * s.index + 1; child <= 2 * s.index + 2 && child < heap.length; child++) {
                frontier.add(heap[child]);
            }
        }
        return null;
    }

    /** The backend's count changed: reread it and move its entry. */
    private synchronized void update(Slot s) {
        s.active = s.backend.activeConnections();
        s.changed = changes++;
        siftUp(s.index);
        siftDown(s.index);
        least = heap[0].backend;
    }

    private void siftUp(int i) {
        Slot s = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (compare(heap[parent], s) <= 0) {
                break;
            }
            place(heap[parent], i);
            i = parent;
        }
        place(s, i);
    }

    private void siftDown(int i) {
        Slot s = heap[i];
        int half = heap.length >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            if (child + 1 < heap.length && compare(heap[child + 1], heap[child]) < 0) {
                child++;
            }
            if (compare(s, heap[child]) <= 0) {
                break;
            }
            place(heap[child], i);
            i = child;
        }
        place(s, i);
    }

    private void place(Slot s, int i) {
        heap[i] = s;
        s.index = i;
    }

    /** Lower load first; on equal load, the one whose count changed longest ago. */
    private static int compare(Slot a, Slot b) {
        int c = compareLoad(a.active, a.weight, b.active, b.weight);
        return c != 0 ? c : Long.compare(a.changed, b.changed);
    }

    /** Compares {@code a1/w1} with {@code a2/w2} exactly, without division. */
    static int compareLoad(long a1, int w1, long a2, int w2) {
        return Long.compare(a1 * w2, a2 * w1);
    }

    /**
     * One backend's heap entry. Its weight is fixed when the balancer is built (a weight change
     * rebuilds the balancer), so the heap order never changes under it. Fields are guarded by the
     * balancer's lock.
     */
    private final class Slot implements Runnable {
        final Backend backend;
        final int weight;
        int index;
        int active;
        long changed;

        Slot(Backend backend, int index) {
            this.backend = backend;
            this.weight = backend.weight();
            this.index = index;
        }

        @Override
        public void run() {
            update(this);
        }
    }
}
