import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.dayofweek;
import static org.apache.spark.sql.functions.hash;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import ml.dmlc.xgboost4j.scala.spark.XGBoostClassificationModel;
import ml.dmlc.xgboost4j.scala.spark.XGBoostClassifier;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The floor of Plumb's stack: the least a user of the same stack (Spark, Delta, XGBoost4J-Spark,
 * one JVM) would write to go from the demo's sharded Parquet to a trained, evaluated model, with
 * none of Plumb's checks, reports, manifests or references. {@code bench/e2e/run.py --with-floor}
 * runs it beside Plumb and the Python peer: if the floor alone is above a target ratio to the peer,
 * no work inside Plumb meets that target on this stack and machine.
 *
 * <p>Less work than Plumb and than the peer, on purpose: ingest is a plain Parquet-to-Delta copy
 * (no contract, no duplicate keys, no quarantine table); features keep the rows labelled 0 or 1
 * (the logistic objective fails on any other label) and are 8 of the demo's 9 with no
 * fitted state (categories hashed, not indexed; no window count), written to a Delta table with
 * the split column (xxhash64 of the key); training is XGBoost4J-Spark with Plumb's parameters
 * (conf/local.yaml: logloss, 200 rounds, depth 6, eta 0.1, early stopping 20, seed 42, 2 workers x
 * 1 thread); evaluation is one ROC-AUC of the test split (Spark's evaluator). Each stage prints
 * "stage NAME done in S s", the format run.py reads from Plumb's log.
 *
 * <pre>
 * javac -d OUT -cp "jobs/target/dist/lib/*" bench/e2e/SparkFloor.java
 * java $(cat jobs/target/dist/jvm.options) -XX:+UseParallelGC -Xmx4g \
 *   -cp "jobs/target/plumb-jobs-*.jar:jobs/target/dist/lib/*:OUT" SparkFloor INPUT WORK_DIR
 * </pre>
 */
public class SparkFloor {
  public static void main(String[] args) {
    String input = args[0];
    String work = args[1];
    SparkSession spark =
        SparkSession.builder()
            .master("local[*]")
            .appName("spark-floor")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.databricks.delta.snapshotPartitions", "2")
            .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
            .config(
                "spark.sql.catalog.spark_catalog",
                "org.apache.spark.sql.delta.catalog.DeltaCatalog")
            .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");

    long t = System.nanoTime();
    String clean = work + "/clean";
    spark.read().parquet(input).write().format("delta").save(clean);
    t = done("ingest", t);

    String features = work + "/features";
    Dataset<Row> rows = spark.read().format("delta").load(clean);
    Column bucket = pmod(xxhash64(col("id"), lit(42)), lit(1000));
    // The one check the floor keeps: XGBoost's logistic objective fails on any other label.
    rows.filter(col("label").isin(0, 1))
        .select(
            col("id"),
            col("label").cast("double").as("label"),
            col("amount").cast("double").as("amount"),
            col("age").cast("double").as("age"),
            col("tenure_days").cast("double").as("tenure_days"),
            col("num_txn_30d").cast("double").as("num_txn_30d"),
            hash(col("country")).cast("double").as("country"),
            hash(col("channel")).cast("double").as("channel"),
            when(col("tenure_days").isNull(), 1.0).otherwise(0.0).as("tenure_missing"),
            dayofweek(col("event_date")).cast("double").as("event_day_of_week"),
            when(bucket.lt(700), "train")
                .when(bucket.lt(850), "validation")
                .otherwise("test")
                .as("split"))
        .write()
        .format("delta")
        .save(features);
    t = done("features", t);

    String[] names = {
      "amount", "age", "tenure_days", "num_txn_30d", "country", "channel", "tenure_missing",
      "event_day_of_week"
    };
    Dataset<Row> table = spark.read().format("delta").load(features);
    XGBoostClassifier xgb = new XGBoostClassifier();
    xgb.setFeaturesCol(names);
    xgb.setLabelCol("label");
    xgb.setObjective("binary:logistic");
    xgb.setEvalMetric("logloss");
    xgb.setNumRound(200);
    xgb.setMaxDepth(6);
    xgb.setEta(0.1);
    xgb.setNumWorkers(2);
    xgb.setNthread(1);
    xgb.setSeed(42);
    xgb.setTreeMethod("hist");
    xgb.setMissing(Float.NaN);
    xgb.setNumEarlyStoppingRounds(20);
    xgb.setVerbosity(0);
    xgb.setEvalDataset(table.filter(col("split").equalTo("validation")));
    XGBoostClassificationModel model = xgb.fit(table.filter(col("split").equalTo("train")));
    t = done("train", t);

    double auc =
        new BinaryClassificationEvaluator()
            .setLabelCol("label")
            .setRawPredictionCol("probability")
            .setMetricName("areaUnderROC")
            .evaluate(model.transform(table.filter(col("split").equalTo("test"))));
    done("evaluate", t);
    System.out.printf("floor: test ROC-AUC %.6f%n", auc);
    spark.stop();
  }

  static long done(String stage, long start) {
    long now = System.nanoTime();
    System.out.printf("floor: stage %s done in %.1f s%n", stage, (now - start) / 1e9);
    return now;
  }
}
