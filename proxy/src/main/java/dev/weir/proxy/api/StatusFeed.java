package dev.weir.proxy.api;

import java.util.List;

/**
 * What the status page shows besides the current state: the process, the traffic of the last minutes, and the recent
 * events.
 *
 * <p>Thread rule: each method runs on the proxy's control thread, where the history and the events are kept: at once
 * when called there (the admin endpoint's API calls), else it hops there and waits (never from an event loop).
 */
public interface StatusFeed {

    ProxyInfo info();

    TrafficHistory history();

    /** The recent events, the oldest first (a bounded number: older ones are forgotten). */
    List<ProxyEvent> events();
}
