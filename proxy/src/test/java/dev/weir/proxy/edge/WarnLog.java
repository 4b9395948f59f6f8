package dev.weir.proxy.edge;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/**
 * Records every WARN or ERROR line logged while attached: a fuzzed input must never make Weir or
 * Netty log an unexpected error (a stack trace, an exception reaching the end of a pipeline, a
 * failing listener). The rate-limited "clients refused" line is expected and left out.
 */
final class WarnLog extends AppenderBase<ILoggingEvent> {

    private final List<String> lines = new CopyOnWriteArrayList<>();

    static WarnLog attach() {
        WarnLog log = new WarnLog();
        log.setName("edge-fuzz-warnings");
        log.start();
        root().addAppender(log);
        return log;
    }

    void detach() {
        root().detachAppender(this);
        stop();
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    @Override
    protected void append(ILoggingEvent e) {
        if (e.getLevel().isGreaterOrEqual(Level.WARN) && !e.getFormattedMessage().startsWith("clients refused")) {
            String cause = e.getThrowableProxy() == null ? ""
                    : " " + e.getThrowableProxy().getClassName() + ": " + e.getThrowableProxy().getMessage();
            lines.add(e.getLoggerName() + " " + e.getFormattedMessage() + cause);
        }
    }

    List<String> lines() {
        return List.copyOf(lines);
    }

    void clear() {
        lines.clear();
    }
}
