package dev.weir.proxy.api;

import java.util.List;

/**
 * What a reload did: RELOADED with the changes in words, UNCHANGED, or FAILED with every error
 * (the running config is then untouched). {@code overridden}: backends changed through the
 * operator API ({@code pool/id}) whose runtime changes the file replaced; not those that a later
 * API call had already put back to what the file says.
 */
public record ReloadResult(Outcome outcome, List<String> changes, List<String> errors, List<String> overridden) {

    public enum Outcome { RELOADED, UNCHANGED, FAILED }

    public ReloadResult {
        changes = List.copyOf(changes);
        errors = List.copyOf(errors);
        overridden = List.copyOf(overridden);
    }

    public static ReloadResult failed(List<String> errors) {
        return new ReloadResult(Outcome.FAILED, List.of(), errors, List.of());
    }
}
