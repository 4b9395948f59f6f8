package dev.weir.proxy;

import java.util.List;

/**
 * What a reload did: RELOADED with the changes in words, UNCHANGED, or FAILED with every error
 * (the running config is then untouched).
 */
public record ReloadResult(Outcome outcome, List<String> changes, List<String> errors) {

    public enum Outcome { RELOADED, UNCHANGED, FAILED }

    public ReloadResult {
        changes = List.copyOf(changes);
        errors = List.copyOf(errors);
    }

    static ReloadResult failed(List<String> errors) {
        return new ReloadResult(Outcome.FAILED, List.of(), errors);
    }
}
