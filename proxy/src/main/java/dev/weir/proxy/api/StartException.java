package dev.weir.proxy.api;

/** Something in a valid config cannot start here (port in use, unresolvable host, transport). */
public final class StartException extends Exception {
    public StartException(String message, Throwable cause) {
        super(message, cause);
    }
}
