package dev.weir.proxy.backend;

/**
 * A client connection relayed to a backend, as the pool sees it: something it can close when the
 * backend's drain time runs out or the backend goes DOWN with close-on-down. Implementations hop
 * to their own event loop; callable from any thread.
 */
public interface LiveConnection {

    /** The backend's drain-timeout passed. */
    void closeDrainTimeout();

    /** The backend went DOWN and the pool closes connections on down. */
    void closeBackendDown();
}
