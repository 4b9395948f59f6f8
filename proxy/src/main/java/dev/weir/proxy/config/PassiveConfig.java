package dev.weir.proxy.config;

import java.time.Duration;

/**
 * {@code pools.NAME.passive}: eject a backend after consecutive connect failures of real traffic.
 *
 * @param ejectFor    without active checks, retry an ejected backend after this long, doubled per
 *                    consecutive ejection
 * @param maxEjectFor cap of the doubling
 */
public record PassiveConfig(int consecutiveFailures, Duration ejectFor, Duration maxEjectFor) {
}
