package dev.weir.proxy.api;

/**
 * Something cannot start here: a port in use, an unresolvable host, a transport; or a file the config names (a
 * certificate, a key) that is missing or wrong, which is a config error ({@link #configError}).
 */
public final class StartException extends Exception {

    private final boolean configError;

    public StartException(String message, Throwable cause) {
        this(message, cause, false);
    }

    private StartException(String message, Throwable cause, boolean configError) {
        super(message, cause);
        this.configError = configError;
    }

    /** A problem with what the config says (a file it names, a provider it forces): exit status 2 at start. */
    public static StartException config(String message, Throwable cause) {
        return new StartException(message, cause, true);
    }

    /** True when the config must change for the start to succeed (exit status 2), not the machine. */
    public boolean configError() {
        return configError;
    }
}
