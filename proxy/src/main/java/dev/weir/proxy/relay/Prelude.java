package dev.weir.proxy.relay;

import java.net.InetSocketAddress;

/** What the handlers in front of {@link Frontend} learn before a backend is chosen (user events). */
final class Prelude {

    private Prelude() {
    }

    /** A PROXY header named the real client (and the address it connected to). */
    record ClientIdentified(InetSocketAddress client, InetSocketAddress destination) {
    }

    /**
     * SNI chose a pool; {@code pool} null means close the client. {@code result} tags the metric. {@code passthrough}:
     * the listener's TLS handler was taken out, the connection is relayed still encrypted.
     */
    record SniRouted(String pool, String result, boolean passthrough) {
        SniRouted(String pool, String result) {
            this(pool, result, false);
        }
    }
}
