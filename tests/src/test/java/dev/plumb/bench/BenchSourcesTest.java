package dev.plumb.bench;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.it.MlflowServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark programs kept outside the modules ({@code bench/**.java}: run with {@code java} or
 * compiled by {@code bench/e2e/run.py --with-floor} against Plumb's built jars) compile against the
 * stack this build resolves, so that a change of Spark, Delta or XGBoost that breaks one fails the
 * build instead of the next benchmark run.
 */
class BenchSourcesTest {

  @Test
  void everyBenchProgramCompilesAgainstTheBuildsClassPath(@TempDir Path out) throws IOException {
    Path root = MlflowServer.root();
    List<Path> sources;
    try (Stream<Path> walk = Files.walk(root.resolve("bench"))) {
      sources = walk.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    }
    assertThat(sources)
        .extracting(p -> root.relativize(p).toString().replace('\\', '/'))
        .contains("bench/e2e/SparkFloor.java", "bench/delta/DeltaCosts.java");

    // Surefire may hand the test JVM a one-jar class path whose manifest names the rest; it also
    // sets the whole test class path here.
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    boolean compiled;
    try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, UTF_8)) {
      compiled =
          javac
              .getTask(
                  null,
                  files,
                  diagnostics,
                  List.of("-d", out.toString(), "-proc:none", "-nowarn", "-cp", classPath),
                  null,
                  files.getJavaFileObjectsFromPaths(sources))
              .call();
    }
    List<String> errors =
        diagnostics.getDiagnostics().stream()
            .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
            .map(d -> d.getSource().getName() + ":" + d.getLineNumber() + ": " + d.getMessage(null))
            .toList();
    assertThat(errors).isEmpty();
    assertThat(compiled).isTrue();
    assertThat(out.resolve("SparkFloor.class")).isRegularFile();
    assertThat(out.resolve("DeltaCosts.class")).isRegularFile();
  }
}
