package io.treecast.cli.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

import java.time.Instant;

/**
 * Logging for the client commands, set up in code: logback.xml's parse took ~135 ms of a command's start, and it
 * includes the server's Kafka logging rules, which the client class path does not have. Treecast at INFO (or
 * {@code TREECAST_LOG_LEVEL}), the libraries at ERROR (or {@code TREECAST_LIBRARY_LOG_LEVEL}): a command's failure is
 * its one {@code error:} line, not also Netty's WARN with a stack trace (e.g. a refused WebSocket handshake); {@code -v}
 * brings the libraries' INFO and WARN back. To stderr. Only when {@code treecast.client-logging=true} ({@link io.treecast.cli.TreecastCli#main} sets it for a
 * client command); otherwise logback goes on to logback.xml.
 */
public final class ClientLogConfigurator extends ContextAwareBase implements Configurator {
    /** The system property that selects this configuration. */
    public static final String PROPERTY = "treecast.client-logging";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (!Boolean.getBoolean(PROPERTY)) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        LineLayout layout = new LineLayout();
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> err = new ConsoleAppender<>();
        err.setContext(context);
        err.setName("ERR");
        err.setTarget("System.err");
        err.setEncoder(encoder);
        err.start();
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(System.getenv("TREECAST_LIBRARY_LOG_LEVEL"), Level.ERROR));
        root.addAppender(err);
        context.getLogger("io.treecast").setLevel(Level.toLevel(System.getenv("TREECAST_LOG_LEVEL"), Level.INFO));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** logback.xml's pattern, {@code 2026-12-06T11:37:07.729Z WARN  [thread] logger - message}, without a pattern parser. */
    static final class LineLayout extends LayoutBase<ILoggingEvent> {
        @Override
        public String doLayout(ILoggingEvent e) {
            StringBuilder b = new StringBuilder(128).append(Instant.ofEpochMilli(e.getTimeStamp())).append(' ')
                    .append(String.format("%-5s", e.getLevel())).append(" [").append(e.getThreadName()).append("] ")
                    .append(e.getLoggerName()).append(" - ").append(e.getFormattedMessage()).append(System.lineSeparator());
            if (e.getThrowableProxy() != null) {
                b.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append(System.lineSeparator());
            }
            return b.toString();
        }
    }
}
