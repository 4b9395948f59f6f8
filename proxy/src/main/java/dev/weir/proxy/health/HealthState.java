package dev.weir.proxy.health;

import dev.weir.proxy.config.PassiveConfig;

/**
 * The health of one backend as pure transitions: no clock, no I/O, no thread of its own. Confined
 * to the health loop; {@link PoolHealth} feeds it results and acts on the transitions.
 */
final class HealthState {

    /** What an input did to the state. Only the non-NONE ones are logged and reported. */
    enum Transition {
        NONE,
        /** {@code rise} probes passed in a row (one, for a backend no probe has passed yet). */
        UP_AFTER_PASSES,
        /** {@code fall} probes failed in a row. */
        DOWN_AFTER_FAILURES,
        /** Real traffic failed to connect {@code consecutive-failures} times in a row. */
        EJECTED,
        /** Without active checks: the ejection delay is over. */
        UP_AFTER_EJECTION,
        /** Active checks were switched off: nothing could bring a DOWN backend back any more. */
        UP_CHECKS_OFF
    }

    private boolean healthy;
    // False only for a backend added at runtime that no probe has passed yet: its first pass is
    // enough, so a new server takes traffic one probe after it answers, not rise intervals later.
    private boolean confirmed;
    // DOWN because of real traffic rather than probes.
    private boolean ejected;
    private int passes;
    private int failures;
    private int connectFailures;
    private String lastConnectCause;
    // Ejections since traffic last connected successfully: the exponent of the back-off.
    private int ejectionsInARow;
    private long ejections;
    private boolean lastOk = true;
    private String lastCause;
    private long lastCheckMillis;
    private long lastDurationMillis;

    HealthState(boolean healthy) {
        this.healthy = healthy;
        this.confirmed = healthy;
    }

    boolean healthy() {
        return healthy;
    }

    boolean ejected() {
        return ejected;
    }

    int passes() {
        return passes;
    }

    int failures() {
        return failures;
    }

    String lastCause() {
        return lastCause;
    }

    String lastConnectCause() {
        return lastConnectCause;
    }

    Transition probed(boolean ok, String cause, long nowMillis, long durationMillis, int rise, int fall) {
        lastOk = ok;
        lastCause = ok ? null : cause;
        lastCheckMillis = nowMillis;
        lastDurationMillis = durationMillis;
        if (ok) {
            passes++;
            failures = 0;
            if (!healthy && (passes >= rise || !confirmed)) {
                healthy = true;
                confirmed = true;
                ejected = false;
                connectFailures = 0;
                return Transition.UP_AFTER_PASSES;
            }
        } else {
            failures++;
            passes = 0;
            if (healthy && failures >= fall) {
                healthy = false;
                return Transition.DOWN_AFTER_FAILURES;
            }
        }
        return Transition.NONE;
    }

    /** A connect of real traffic failed; {@code threshold} is {@code passive.consecutive-failures}. */
    Transition connectFailed(String cause, int threshold) {
        if (!healthy) {
            // Connects picked before the backend went DOWN; they say nothing new.
            return Transition.NONE;
        }
        connectFailures++;
        lastConnectCause = cause;
        if (connectFailures < threshold) {
            return Transition.NONE;
        }
        healthy = false;
        ejected = true;
        connectFailures = 0;
        // Active checks must see rise fresh passes, not ones counted before traffic failed.
        passes = 0;
        ejectionsInARow++;
        ejections++;
        return Transition.EJECTED;
    }

    void connectSucceeded() {
        if (!healthy) {
            return;
        }
        connectFailures = 0;
        // Only serving traffic again proves the backend recovered; a retry alone does not.
        ejectionsInARow = 0;
    }

    /** How long the current ejection lasts: ejectFor × 2^(n-1) for the n-th in a row, capped. */
    long ejectionDelayMillis(PassiveConfig passive) {
        return ejectionDelayMillis(passive, ejectionsInARow);
    }

    static long ejectionDelayMillis(PassiveConfig passive, int nth) {
        long base = passive.ejectFor().toMillis();
        long max = passive.maxEjectFor().toMillis();
        int shift = Math.max(0, nth - 1);
        if (shift >= 62 || base > (max >> shift)) {
            return max;
        }
        return Math.min(max, base << shift);
    }

    Transition ejectionOver() {
        if (healthy || !ejected) {
            return Transition.NONE;
        }
        healthy = true;
        ejected = false;
        connectFailures = 0;
        return Transition.UP_AFTER_EJECTION;
    }

    Transition checksOff() {
        passes = 0;
        failures = 0;
        if (healthy) {
            return Transition.NONE;
        }
        healthy = true;
        confirmed = true;
        ejected = false;
        connectFailures = 0;
        return Transition.UP_CHECKS_OFF;
    }

    void passiveOff() {
        connectFailures = 0;
        ejectionsInARow = 0;
    }

    /** Whether a successful connect would change anything; lets the data path skip the hop. */
    boolean wantsSuccessReports() {
        return connectFailures > 0 || ejectionsInARow > 0;
    }

    HealthStatus snapshot() {
        return new HealthStatus(healthy, lastOk, lastCause, lastCheckMillis, passes, failures, ejections,
                lastDurationMillis);
    }
}
