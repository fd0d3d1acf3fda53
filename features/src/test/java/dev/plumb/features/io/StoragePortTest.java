package dev.plumb.features.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoragePortTest {

  @TempDir Path tmp;

  @Test
  void locationsKeepSchemeAndAuthority() {
    assertThat(Locations.join("s3a://bucket", "work", "features/"))
        .isEqualTo("s3a://bucket/work/features");
    assertThat(Locations.join("s3a://bucket/", "/x")).isEqualTo("s3a://bucket/x");
    assertThat(Locations.join("dbfs:/", "x")).isEqualTo("dbfs:/x");
    assertThat(Locations.join("/Volumes/c/s/v", "m")).isEqualTo("/Volumes/c/s/v/m");
    assertThat(Locations.parent("s3a://bucket/x")).isEqualTo("s3a://bucket");
    assertThat(Locations.parent("dbfs:/x")).isEqualTo("dbfs:/");
    assertThat(Locations.parent("/x")).isEqualTo("/");
    assertThat(Locations.name("hdfs://nn:8020/a/b.json")).isEqualTo("b.json");
    assertThat(Locations.scheme("ABFSS://c@a.dfs.core.windows.net/p")).isEqualTo("abfss");
    assertThat(Locations.scheme("/tmp/x")).isEmpty();
    assertThat(Locations.qualify("gs://b/k")).isEqualTo("gs://b/k");
    assertThat(Locations.qualify("file:///tmp/x")).isEqualTo("file:///tmp/x");
    assertThat(Locations.qualify("rel/x")).isEqualTo(Path.of("rel/x").toAbsolutePath().toString());
    assertThat(Locations.resolve("s3a://b/conf", "features/demo.yaml"))
        .isEqualTo("s3a://b/conf/features/demo.yaml");
    assertThat(Locations.resolve("/c/conf", "../x.yaml")).isEqualTo("/c/x.yaml");
    assertThat(Locations.resolve("s3a://b/conf", "/abs.yaml")).isEqualTo("/abs.yaml");
  }

  @Test
  void aPathSegmentCannotLeaveItsFolder() {
    assertThat(Locations.checkSegment("demo-1.2_x", "name")).isEqualTo("demo-1.2_x");
    for (String bad : new String[] {"..", ".", "a/b", "", "a b", "..\\x"}) {
      assertThatThrownBy(() -> Locations.checkSegment(bad, "the feature set name"))
          .as(bad)
          .hasMessageStartingWith("Cannot use the feature set name '" + bad + "'")
          .hasMessageContaining("not empty, '.' or '..', no '/'");
    }
  }

  @Test
  void localFilesAreWrittenWholeWithoutSideFilesAndListed() throws Exception {
    Storage storage = new HadoopStorage(new Configuration());
    String dir = tmp.resolve("store").toString();
    String file = Locations.join(dir, "v1", "manifest.json");
    storage.writeText(file, "{\"a\":1}");
    storage.writeText(file, "{\"a\":2}");
    assertThat(storage.readText(file)).isEqualTo("{\"a\":2}");
    assertThat(storage.isFile(file)).isTrue();
    assertThat(storage.isDirectory(Locations.join(dir, "v1"))).isTrue();
    assertThat(storage.exists(Locations.join(dir, "nope"))).isFalse();
    try (var files = Files.list(tmp.resolve("store/v1"))) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("manifest.json");
    }
    assertThat(storage.list(dir))
        .containsExactly(new Storage.Entry(Locations.join(dir, "v1"), "v1", true, 0));
    assertThat(storage.listFilesRecursively(dir))
        .extracting(Storage.Entry::location)
        .containsExactly(file);
    assertThat(storage.list(Locations.join(dir, "missing"))).isEmpty();
    assertThat(storage.delete(Locations.join(dir, "v1"))).isTrue();
    assertThat(storage.exists(file)).isFalse();
  }

  @Test
  void anUnsupportedSchemeIsNamedWithTheFix() {
    Storage storage = new HadoopStorage(new Configuration());
    assertThatThrownBy(() -> storage.checkSupported("nosuch://b/k"))
        .isInstanceOf(StorageException.class)
        .hasMessageStartingWith("Cannot use nosuch://b/k: no Hadoop FileSystem for scheme 'nosuch'")
        .hasMessageContaining("use s3a://, abfss://, gs://");
    assertThatThrownBy(() -> storage.read("nosuch://b/k"))
        .hasMessageStartingWith("Cannot read nosuch://b/k: no Hadoop FileSystem for scheme");
    storage.checkSupported("/local/path");
    storage.checkSupported("file:/local/path");
  }
}
