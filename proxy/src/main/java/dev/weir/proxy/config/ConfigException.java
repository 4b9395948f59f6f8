package dev.weir.proxy.config;

import java.util.List;

/**
 * A config that cannot be used, with every problem found in one pass: one line each, shaped
 * {@code path: value (expected: ...)}, so an operator fixes them all in one edit. No stack trace is meant to be shown.
 */
public final class ConfigException extends Exception {

    private final List<String> errors;

    public ConfigException(List<String> errors) {
        super(String.join("\n", errors), null, false, false);
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one error");
        }
        this.errors = List.copyOf(errors);
    }

    /** The problems, in the order they were found (file order, then cross-checks). */
    public List<String> errors() {
        return errors;
    }
}
