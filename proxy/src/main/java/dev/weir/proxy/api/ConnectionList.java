package dev.weir.proxy.api;

import java.util.List;

/**
 * A bounded list of a listener's live connections.
 *
 * @param total       live connections when the list was taken (more than listed when over the limit)
 * @param connections at most the limit asked for, the oldest first
 * @param complete    false when an event loop did not answer in time: its connections are left out
 */
public record ConnectionList(int total, List<ConnectionStatus> connections, boolean complete) {

    public ConnectionList {
        connections = List.copyOf(connections);
    }
}
