package dev.weir.proxy.control;

import dev.weir.proxy.backend.Backend;

/**
 * The one way a pool's membership sources ({@link StaticMembers}, {@link DiscoveredMembers}) change its members:
 * a joining backend goes through the pool's health checks before it takes traffic (when they are active), a
 * leaving one drains. Thread rule: the control thread.
 */
interface Members {

    /** Adds {@code b}: with active checks it is DOWN until its first passing probe. */
    void join(Backend b);

    /** Drains {@code b}; it leaves the pool once its last connection has ended. */
    void leave(Backend b);
}
