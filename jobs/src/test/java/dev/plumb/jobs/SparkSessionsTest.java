package dev.plumb.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SparkSessionsTest {

  @Test
  void deltaStateJobsRunOneTaskPerCoreLocallyAndTheShufflePartitionsOnACluster() {
    assertThat(SparkSessions.snapshotPartitions(8, true, 2)).isEqualTo(2);
    assertThat(SparkSessions.snapshotPartitions(8, true, 1)).isEqualTo(1);
    assertThat(SparkSessions.snapshotPartitions(4, true, 16)).isEqualTo(4);
    assertThat(SparkSessions.snapshotPartitions(8, false, 2)).isEqualTo(8);
    assertThat(SparkSessions.snapshotPartitions(200, false, 64)).isEqualTo(200);
    assertThat(SparkSessions.snapshotPartitions(0, true, 2)).isEqualTo(1);
  }
}
