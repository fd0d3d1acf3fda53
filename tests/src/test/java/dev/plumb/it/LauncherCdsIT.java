package dev.plumb.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's class-data archive (AppCDS), with the real {@code ./plumb} and JVM: a recording
 * run keeps the archive only when it succeeds; the next run maps Plumb's classes from it; a
 * truncated archive is removed rather than mapped (a JVM crash otherwise); a run with a flight
 * recording from the start goes without it (a JVM crash otherwise); {@code PLUMB_CDS=off} neither
 * uses nor records one; the job's stdout stays the job's. {@code --help} stands in for a job:
 * recording is forced with {@code PLUMB_CDS=record} (by default only {@code demo} and {@code
 * pipeline} record).
 */
class LauncherCdsIT {

  private static final String PLUMB_CLASS = "dev.plumb.jobs.Plumb source: ";

  @TempDir Path dir;

  private record Ran(int code, String out, String err) {}

  private Ran launch(Map<String, String> env, String... args) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    List<String> command = new java.util.ArrayList<>();
    command.add(MlflowServer.root().resolve("plumb").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("PLUMB_NO_BUILD", "1");
    pb.environment().put("PLUMB_CDS_DIR", dir.resolve("cds").toString());
    pb.environment().remove("PLUMB_CDS");
    pb.environment().remove("PLUMB_JAVA_OPTS");
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    pb.environment().putAll(env);
    Process p = pb.start();
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("the launcher ended").isTrue();
    return new Ran(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  private List<String> archiveFiles() throws IOException {
    Path cds = dir.resolve("cds");
    if (!Files.isDirectory(cds)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(cds)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Where the JVM loaded Plumb's main class from, as its class-load log says. */
  private String plumbClassSource(Map<String, String> env) throws Exception {
    Path log = dir.resolve("classes-" + System.nanoTime() + ".txt");
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("PLUMB_JAVA_OPTS", "-Xlog:class+load=info:file=" + log);
    Ran ran = launch(all, "--help");
    assertThat(ran.code()).as(ran.err()).isZero();
    assertThat(ran.out()).startsWith("Usage: plumb");
    return Files.readAllLines(log).stream()
        .filter(l -> l.contains(PLUMB_CLASS))
        .map(l -> l.substring(l.indexOf(PLUMB_CLASS) + PLUMB_CLASS.length()))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aRecordedArchiveIsUsedNextTimeAndADamagedOneIsRemovedNotMapped() throws Exception {
    assertThat(plumbClassSource(Map.of())).as("no archive yet").doesNotContain("shared objects");

    Ran failed = launch(Map.of("PLUMB_CDS", "record"), "no-such-job");
    assertThat(failed.code()).as("a failed recording run keeps its exit code").isEqualTo(2);
    assertThat(archiveFiles()).as("and leaves no archive").isEmpty();

    Ran recorded = launch(Map.of("PLUMB_CDS", "record"), "--help");
    assertThat(recorded.code()).as(recorded.err()).isZero();
    assertThat(recorded.out()).startsWith("Usage: plumb").doesNotContain("[cds");
    assertThat(recorded.err()).contains("records a class-data archive");
    List<String> files = archiveFiles();
    assertThat(files).hasSize(2);
    assertThat(files.get(0)).matches("plumb-[0-9]+\\.jsa");
    assertThat(files.get(1)).isEqualTo(files.get(0) + ".size");
    Path archive = dir.resolve("cds").resolve(files.get(0));
    assertThat(Files.readString(dir.resolve("cds").resolve(files.get(1))).trim())
        .isEqualTo(String.valueOf(Files.size(archive)));

    assertThat(plumbClassSource(Map.of())).isEqualTo("shared objects file (top)");
    assertThat(plumbClassSource(Map.of("PLUMB_CDS", "off")))
        .as("PLUMB_CDS=off")
        .doesNotContain("shared objects");

    // A flight recording (or a Java agent) from the start with the archive crashes JDK 17
    // (SIGSEGV, exit 134): such a run starts without it, and records what it was asked to.
    Path recording = dir.resolve("run.jfr");
    Ran profiled =
        launch(
            Map.of("PLUMB_JAVA_OPTS", "-XX:StartFlightRecording=filename=" + recording), "--help");
    assertThat(profiled.code()).as(profiled.err()).isZero();
    assertThat(profiled.out()).contains("Usage: plumb"); // after the JVM's own JFR start lines
    assertThat(profiled.err())
        .contains("flight recording is set (-XX:StartFlightRecording)")
        .contains("without the class-data archive");
    assertThat(Files.size(recording)).isPositive();
    Ran toolOptions =
        launch(
            Map.of("JAVA_TOOL_OPTIONS", "-XX:StartFlightRecording=filename=" + recording),
            "--help");
    assertThat(toolOptions.code()).as(toolOptions.err()).isZero();
    assertThat(toolOptions.err()).contains("without the class-data archive");
    assertThat(archiveFiles()).as("the archive stays for the next run").isEqualTo(files);

    // A truncated archive: mapped, it would crash the JVM (SIGBUS); the launcher removes it.
    byte[] head = new byte[65536];
    try (var in = Files.newInputStream(archive)) {
      assertThat(in.readNBytes(head, 0, head.length)).isEqualTo(head.length);
    }
    archive.toFile().setWritable(true);
    Files.write(archive, head);
    Ran afterDamage = launch(Map.of(), "--help");
    assertThat(afterDamage.code()).as(afterDamage.err()).isZero();
    assertThat(afterDamage.out()).startsWith("Usage: plumb");
    assertThat(afterDamage.err()).contains("is damaged (its size changed); removed");
    assertThat(archiveFiles()).isEmpty();
  }
}
