package dev.plumb.it;

import java.io.StringWriter;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * Captures every log line of the test JVM (Plumb's at all levels, everything else at the level the
 * root logger lets through) while a session is open, so a test can grep the logs.
 */
final class LogCapture {

  private final StringWriter sink = new StringWriter();

  /** Everything captured so far. */
  synchronized String text() {
    return sink.toString();
  }

  Session start() {
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    Configuration config = ctx.getConfiguration();
    WriterAppender appender =
        WriterAppender.newBuilder()
            .setName("plumb-it-capture-" + System.nanoTime())
            .setTarget(sink)
            .setLayout(PatternLayout.newBuilder().withPattern("%p %c: %m%n%ex").build())
            .build();
    appender.start();
    config.addAppender(appender);
    config.getRootLogger().addAppender(appender, null, null);
    LoggerConfig plumb = config.getLoggerConfig("dev.plumb");
    boolean created = !plumb.getName().equals("dev.plumb");
    if (created) {
      plumb = new LoggerConfig("dev.plumb", Level.ALL, true);
      config.addLogger("dev.plumb", plumb);
    }
    plumb.addAppender(appender, Level.ALL, null);
    Level before = plumb.getLevel();
    plumb.setLevel(Level.ALL);
    ctx.updateLoggers();
    LoggerConfig finalPlumb = plumb;
    return () -> {
      config.getRootLogger().removeAppender(appender.getName());
      finalPlumb.removeAppender(appender.getName());
      finalPlumb.setLevel(before);
      if (created) {
        config.removeLogger("dev.plumb");
      }
      ctx.updateLoggers();
      appender.stop();
    };
  }

  /** An open capture; closing it detaches the appender. */
  interface Session extends AutoCloseable {
    @Override
    void close();
  }
}
