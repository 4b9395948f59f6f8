package dev.weir.proxy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.pattern.CompositeConverter;
import dev.weir.proxy.metrics.AccessLog;
import org.slf4j.Marker;

/**
 * The logback conversion word {@code %textOnly(...)}: what it wraps (the time, level and logger of a line) is left out
 * of a line that is a JSON object by itself, the access log's {@code format: json}, so that each such line is one
 * JSON object (JSON Lines) that a log shipper takes as it is. Stateless.
 */
public final class TextOnly extends CompositeConverter<ILoggingEvent> {

    /** The conversion word, as {@code <conversionRule>} in config/logback.xml names it too. */
    static final String WORD = "textOnly";

    @Override
    protected String transform(ILoggingEvent event, String in) {
        if (event.getMarkerList() != null) {
            for (Marker m : event.getMarkerList()) {
                if (m.contains(AccessLog.JSON_LINE)) {
                    return "";
                }
            }
        }
        return in;
    }
}
