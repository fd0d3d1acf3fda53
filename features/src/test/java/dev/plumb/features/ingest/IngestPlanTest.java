package dev.plumb.features.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Drift policies: what each accepts, and that the fix an error suggests is one that works. */
@ExtendWith(SharedSpark.class)
class IngestPlanTest {

  static DataContract contract(String driftPolicy) {
    return DataContract.parse(
        String.join(
            "\n",
            "name: drift",
            "columns:",
            "  - {name: id, type: long, nullable: false}",
            "  - {name: amount, type: double, nullable: true}",
            driftPolicy == null ? "" : "drift_policy: " + driftPolicy),
        "test");
  }

  static SourceFile file(String name, String idType, String amountType) {
    return new SourceFile(
        "/in",
        "/in/" + name,
        100,
        0,
        Map.of(),
        3,
        Map.of("id", idType, "amount", amountType),
        null);
  }

  static IngestPlan plan(String driftPolicy, SourceFile... files) {
    return IngestPlan.of(List.of(files), contract(driftPolicy), IngestPlan.UnreadablePolicy.FAIL);
  }

  @Test
  void theDriftPolicyIsReadFromTheContractAndAnUnknownOneIsRefused() {
    assertThat(contract(null).driftPolicy()).isEqualTo(DataContract.DriftPolicy.FAIL);
    assertThat(contract("cast").driftPolicy()).isEqualTo(DataContract.DriftPolicy.CAST);
    assertThat(contract("cast_lossy").driftPolicy()).isEqualTo(DataContract.DriftPolicy.CAST_LOSSY);
    assertThat(contract("cast_lossy").hash()).isNotEqualTo(contract("cast").hash());
    assertThatThrownBy(() -> contract("lossy"))
        .hasMessage(
            "Cannot read test: drift_policy = 'lossy' is not one of [fail, cast, cast_lossy]");
  }

  @Test
  void longToDoubleIsRefusedUnderCastWithAHintThatNamesCastLossy() {
    assertThatThrownBy(() -> plan("cast", file("a.parquet", "long", "long")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Cannot ingest: 1 problem(s) in 1 file(s) checked against contract")
        .hasMessageContaining(
            "/in/a.parquet: column 'amount' is long but the contract says double (a lossy"
                + " widening: set drift_policy: cast_lossy to accept it; values a double cannot"
                + " hold exactly, beyond ±2^53, are then quarantined)")
        .hasMessageContaining(
            "the contract's drift_policy: cast already casts int->long/double and"
                + " float->double; to also cast long->double (lossy beyond ±2^53) set"
                + " drift_policy: cast_lossy")
        .message()
        .doesNotContain("set drift_policy: cast ")
        .doesNotContain("set drift_policy: cast in");
  }

  @Test
  void underFailEachDriftIsToldThePolicyThatAcceptsIt() {
    assertThatThrownBy(
            () -> plan(null, file("a.parquet", "int", "double"), file("b.parquet", "long", "long")))
        .hasMessageContaining("Cannot ingest: 2 problem(s) in 2 file(s)")
        .hasMessageContaining(
            "/in/a.parquet: column 'id' is int but the contract says long (a safe widening: set"
                + " drift_policy: cast to accept it)")
        .hasMessageContaining(
            "/in/b.parquet: column 'amount' is long but the contract says double (a lossy"
                + " widening: set drift_policy: cast_lossy to accept it;")
        .hasMessageContaining(
            "for safe widenings (int->long/double, float->double) set drift_policy: cast in the"
                + " contract, to also cast long->double (lossy beyond ±2^53) set drift_policy:"
                + " cast_lossy");
  }

  @Test
  void castLossyAcceptsLongToDoubleAndTheSafeWideningsButNothingElse() {
    IngestPlan plan =
        plan(
            "cast_lossy",
            file("a.parquet", "long", "double"),
            file("b.parquet", "long", "long"),
            file("c.parquet", "int", "float"));
    assertThat(plan.ingest()).hasSize(3);
    assertThat(plan.casts())
        .containsExactly(
            "/in/b.parquet: amount long -> double (lossy: values a double cannot hold exactly are"
                + " quarantined as LOSSY_CAST)",
            "/in/c.parquet: id int -> long",
            "/in/c.parquet: amount float -> double");

    assertThatThrownBy(() -> plan("cast_lossy", file("d.parquet", "long", "string")))
        .hasMessageContaining(
            "/in/d.parquet: column 'amount' is string but the contract says double (no"
                + " drift_policy casts string to double)")
        .hasMessageContaining(
            "the contract's drift_policy: cast_lossy already casts int->long/double,"
                + " float->double and long->double; no policy casts other type changes: rewrite"
                + " the files or change the column's type in the contract")
        .message()
        .doesNotContain("set drift_policy");
    assertThatThrownBy(() -> plan("cast_lossy", file("e.parquet", "double", "double")))
        .hasMessageContaining(
            "column 'id' is double but the contract says long (no drift_policy casts double to"
                + " long)");
  }

  @Test
  void aLossyReadFlagsExactlyTheValuesTheDoubleChanged(SparkSession spark) {
    long twoTo53 = 1L << 53;
    List<Row> rows = new ArrayList<>();
    for (Long v :
        new Long[] {
          1L,
          twoTo53,
          twoTo53 + 1,
          twoTo53 + 2,
          -twoTo53 - 1,
          1L << 62,
          (1L << 62) + 1,
          Long.MAX_VALUE,
          Long.MIN_VALUE,
          null
        }) {
      rows.add(RowFactory.create(v));
    }
    ColumnSpec amount = contract("cast_lossy").column("amount");
    List<Column> read = IngestPlan.readAs(amount, "long");
    assertThat(read).hasSize(2);
    List<Row> out =
        spark
            .createDataFrame(rows, new StructType().add("amount", DataTypes.LongType))
            .select(read.toArray(new Column[0]))
            .collectAsList();
    assertThat(out.get(0).schema().fieldNames())
        .containsExactly("amount", ContractValidator.lossyCastFlag("amount"));
    assertThat(out.stream().map(r -> r.get(0)).toList())
        .containsExactly(
            1.0,
            9007199254740992.0,
            9007199254740992.0,
            9007199254740994.0,
            -9007199254740992.0,
            0x1p62,
            0x1p62,
            0x1p63,
            -0x1p63,
            null);
    assertThat(out.stream().map(r -> r.getBoolean(1)).toList())
        .containsExactly(false, false, true, false, true, false, true, true, false, false);

    assertThat(IngestPlan.readAs(amount, "double")).hasSize(1);
    assertThat(IngestPlan.readAs(amount, "int")).hasSize(1);
  }
}
