package dev.weir.proxy.api;

/**
 * The process as the status page's header shows it.
 *
 * @param version         the jar's version ({@code dev} when run from classes)
 * @param startedAtMillis when the proxy started (epoch millis)
 * @param transport       io_uring, epoll or nio
 * @param lastReload      the last reload; null when none ran since the start
 */
public record ProxyInfo(String version, long startedAtMillis, String transport, LastReload lastReload) {

    /** A reload's result and when it ended (epoch millis). */
    public record LastReload(long atMillis, ReloadResult result) {
    }
}
