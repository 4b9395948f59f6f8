package dev.weir.proxy.balance;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendState;
import java.util.AbstractCollection;
import java.util.Collection;
import java.util.Iterator;

/**
 * The backends a pick must pass over: those tried already and those not UP right now. A view, read
 * at pick time (states are volatile), so a table built over all members needs no rebuild when a
 * state changes. Only {@code contains} and {@code isEmpty} are meant to be used.
 */
final class NotUpOrTried extends AbstractCollection<Backend> {

    private final Collection<Backend> tried;

    NotUpOrTried(Collection<Backend> tried) {
        this.tried = tried;
    }

    @Override
    public boolean contains(Object o) {
        return o instanceof Backend b && (b.state() != BackendState.UP || tried.contains(b));
    }

    @Override
    public boolean isEmpty() {
        return false; // may hold backends that are not UP: callers must ask contains()
    }

    @Override
    public Iterator<Backend> iterator() {
        return tried.iterator();
    }

    @Override
    public int size() {
        return tried.size();
    }
}
