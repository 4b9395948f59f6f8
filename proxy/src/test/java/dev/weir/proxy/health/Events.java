package dev.weir.proxy.health;

import dev.weir.proxy.backend.Backend;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** A listener that records every change, with the status the pool reported at that moment. */
final class Events implements PoolHealth.Listener {

    record Event(Backend backend, boolean healthy, String cause, HealthStatus status) {
    }

    final List<Event> list = new CopyOnWriteArrayList<>();
    // Set after the PoolHealth exists: the listener must be built first.
    volatile Function<Backend, HealthStatus> statusOf = b -> null;

    @Override
    public void healthChanged(Backend b, boolean healthy, String cause) {
        list.add(new Event(b, healthy, cause, statusOf.apply(b)));
    }

    PoolHealth track(PoolHealth health) {
        statusOf = health::status;
        return health;
    }

    List<Boolean> states() {
        return list.stream().map(Event::healthy).toList();
    }

    Event last() {
        return list.get(list.size() - 1);
    }
}
