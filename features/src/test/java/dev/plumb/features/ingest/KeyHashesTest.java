package dev.plumb.features.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

class KeyHashesTest {

  @Test
  void repeatsWithinAndAcrossPartitionsAreFoundOnce() {
    long[] a = {-5, 1, 1, 7, 9};
    long[] b = {};
    long[] c = {2, 7, 11};
    long[] d = {7, 11, 12, Long.MAX_VALUE};
    long[] e = {Long.MIN_VALUE, 3};
    assertThat(KeyHashes.repeated(List.of(a, b, c, d, e))).containsExactly(1, 7, 11);
    assertThat(KeyHashes.repeated(List.of(a.clone()))).containsExactly(1);
    assertThat(KeyHashes.repeated(List.of(c, e))).isEmpty();
    assertThat(KeyHashes.repeated(List.of())).isEmpty();
  }

  @Test
  void sortedChunksSplitAPartitionByFileAndSortEach() {
    // Outside a Spark task no file is open: one chunk with an unknown file.
    List<KeyHashes.Chunk> chunks = new java.util.ArrayList<>();
    KeyHashes.sortedChunks(List.of(9L, -1L, 4L).iterator()).forEachRemaining(chunks::add);
    assertThat(chunks).hasSize(1);
    assertThat(chunks.get(0).sorted()).containsExactly(-1, 4, 9);
    assertThat(KeyHashes.filesHolding(chunks, new long[] {4}))
        .containsExactly(chunks.get(0).file());
    assertThat(KeyHashes.filesHolding(chunks, new long[] {5})).isEmpty();
    List<KeyHashes.Chunk> two =
        List.of(
            new KeyHashes.Chunk("a", new long[] {1, 4, 4, 4, 8}),
            new KeyHashes.Chunk("b", new long[] {4, 8, 9}));
    assertThat(KeyHashes.occurrences(two, new long[] {4, 8})).isEqualTo(6);
    assertThat(KeyHashes.occurrences(two, new long[] {9})).isEqualTo(1);
    assertThat(KeyHashes.filesHolding(two, new long[] {1})).containsExactly("a");
    assertThat(KeyHashes.filesHolding(two, new long[] {8, 9})).containsExactly("a", "b");
  }

  @Test
  void onlyEqualKeysAreDuplicatesAndTheFirstByFileThenRowIsKept() {
    List<KeyHashes.Occurrence> losers =
        KeyHashes.losers(
            List.of(
                // same hash, different keys (a collision): neither is a duplicate
                RowFactory.create("a", 1L, "file:/d/p2.parquet", 0L),
                RowFactory.create("b", 1L, "file:/d/p1.parquet", 5L),
                // key (c, 2) three times: the first by file then row wins
                RowFactory.create("c", 2L, "file:/d/p2.parquet", 3L),
                RowFactory.create("c", 2L, "file:/d/p1.parquet", 9L),
                RowFactory.create("c", 2L, "file:/d/p1.parquet", 4L),
                // -0.0 and 0.0 are one key, as Spark groups them
                RowFactory.create(0.0, 3L, "file:/d/p1.parquet", 1L),
                RowFactory.create(-0.0, 3L, "file:/d/p1.parquet", 2L)),
            2);
    assertThat(losers)
        .containsExactly(
            new KeyHashes.Occurrence("file:/d/p1.parquet", 2L),
            new KeyHashes.Occurrence("file:/d/p1.parquet", 9L),
            new KeyHashes.Occurrence("file:/d/p2.parquet", 3L));
  }
}
