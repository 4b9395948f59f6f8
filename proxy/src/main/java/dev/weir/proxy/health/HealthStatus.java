package dev.weir.proxy.health;

/**
 * What the admin API shows for one backend: an immutable snapshot, safe to read from any thread.
 *
 * @param healthy             eligible for new connections as far as health is concerned
 * @param lastResultOk        result of the last active probe; true while none has run
 *                            ({@code lastCheckMillis == 0})
 * @param lastCause           why the last probe failed; null if it passed or none has run
 * @param lastCheckMillis     when the last probe finished (epoch millis); 0 if none has
 * @param consecutivePasses   active probes passed in a row
 * @param consecutiveFailures active probes failed in a row
 * @param ejections           passive ejections since the backend was added
 * @param checkDurationMillis how long the last probe took
 */
public record HealthStatus(
        boolean healthy,
        boolean lastResultOk,
        String lastCause,
        long lastCheckMillis,
        int consecutivePasses,
        int consecutiveFailures,
        long ejections,
        long checkDurationMillis) {
}
