package dev.weir.proxy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import dev.weir.proxy.control.Weir;
import org.slf4j.Logger;

/**
 * Weir's default logging, set up in code through logback's Configurator hook (found through
 * META-INF/services) instead of a logback.xml in the jar: parsing XML costs ~150 ms of class
 * loading at start. One line per event: time, level, logger, then key=value fields (a JSON access-log line: the
 * object alone); io.netty at
 * WARN; WEIR_LOG_LEVEL and WEIR_ACCESS_LOG_LEVEL (system property or environment) set the root and
 * access-log levels. {@code -Dlogback.configurationFile=config/logback.xml} (the same setup as XML,
 * to start from) or a logback-test.xml on the class path (tests) goes to logback's XML configurator. Neither needs an
 * AsyncAppender: the access log's lines come from its own writer thread, never from an event loop (AccessLog).
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {

    /**
     * Time, level and logger, then the message; a JSON access-log line is its message alone ({@link TextOnly}). The
     * empty {@code {}} after the group is needed: logback reads the character right after a group's ")" as text.
     */
    static final String PATTERN = "%" + TextOnly.WORD + "(%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0} ){}%msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext ctx) {
        if (System.getProperty("logback.configurationFile") != null
                || LogSetup.class.getClassLoader().getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        PatternLayout layout = new PatternLayout();
        layout.setContext(ctx);
        layout.getInstanceConverterMap().put(TextOnly.WORD, TextOnly::new);
        layout.setPattern(PATTERN);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(ctx);
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(ctx);
        console.setName("STDOUT");
        console.setEncoder(encoder);
        console.start();
        ctx.getLogger("io.netty").setLevel(Level.WARN);
        ctx.getLogger("weir.access").setLevel(Level.toLevel(setting("WEIR_ACCESS_LOG_LEVEL"), Level.INFO));
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(setting("WEIR_LOG_LEVEL"), Level.INFO));
        root.addAppender(console);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Like logback's ${NAME}: a system property, else the environment. */
    private static String setting(String name) {
        String v = System.getProperty(name);
        return v != null ? v : System.getenv(name);
    }
}
