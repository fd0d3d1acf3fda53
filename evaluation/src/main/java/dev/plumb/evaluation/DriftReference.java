package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A model's training reference, what new data is compared with ({@code plumb monitor}): per model
 * feature, the bin edges fitted on the train split ({@link Drift#fit}) and the train split's share
 * of rows per bin (bin 0 = null); the same for the model's score; the share of rows the model calls
 * positive at its stored threshold; the row count. Stored as {@code reference.json} beside the
 * model, so any later dataset is measured on exactly these bins.
 *
 * @param split the split it was measured on ({@code train})
 * @param rows the rows of that split
 * @param bins the bins asked of {@link Drift#fit} (distinct edges may give fewer)
 * @param threshold the decision threshold the positive rate is measured at
 * @param featureCuts per feature, its bin edges
 * @param featureShares per feature, the share of rows per bin (bin 0: null)
 * @param scoreCuts the score's bin edges
 * @param scoreShares the share of rows per score bin (bin 0: null)
 * @param positiveRate the share of rows with score &gt;= {@code threshold}
 */
public record DriftReference(
    String split,
    long rows,
    int bins,
    double threshold,
    Map<String, double[]> featureCuts,
    Map<String, double[]> featureShares,
    double[] scoreCuts,
    double[] scoreShares,
    double positiveRate) {

  /** The JSON format written; readers accept it and fail on others, naming the file. */
  public static final int FORMAT_VERSION = 1;

  /** The bins of a reference fitted at training. */
  public static final int DEFAULT_BINS = 10;

  /** The indicator column of a positive decision, counted in the same pass as the shares. */
  private static final String POSITIVE = "__plumb_positive";

  public DriftReference {
    featureCuts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(featureCuts));
    featureShares = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(featureShares));
    if (Double.isNaN(threshold) || threshold < 0 || threshold > 1) {
      throw new IllegalArgumentException(
          "Cannot build a drift reference: the threshold must be in [0, 1] but was " + threshold);
    }
  }

  /**
   * What one scored dataset looks like on a reference's bins.
   *
   * @param rows the rows measured
   * @param featureShares per feature, the share of rows per bin (bin 0: null)
   * @param scoreShares the share of rows per score bin
   * @param positiveRate the share of rows with score &gt;= the reference's threshold
   */
  public record Profile(
      long rows, Map<String, double[]> featureShares, double[] scoreShares, double positiveRate) {}

  /**
   * Fits the reference on {@code scored} (the train split with the model's score in {@code
   * scoreColumn}): one quantile pass for every feature's and the score's edges, then one counting
   * pass for every share. Cache {@code scored} when scoring is costly: it is read twice.
   */
  public static DriftReference fit(
      Dataset<Row> scored,
      List<String> features,
      String scoreColumn,
      double threshold,
      int bins,
      String split) {
    DriftReference edges =
        edges(
            Drift.fitSample(scored, scored.count()), features, scoreColumn, threshold, bins, split);
    return edges.measured(edges.profile(scored, scoreColumn));
  }

  /**
   * A reference's edges without its shares: every feature's and the score's cut points ({@link
   * Drift#quantileBins}) on {@code scoredSample}, the scored rows already sampled ({@link
   * Drift#fitSample}). {@link #measured} adds the shares of a profile on these edges.
   */
  public static DriftReference edges(
      Dataset<Row> scoredSample,
      List<String> features,
      String scoreColumn,
      double threshold,
      int bins,
      String split) {
    List<String> columns = new ArrayList<>(features);
    columns.add(scoreColumn);
    Map<String, double[]> cuts =
        new LinkedHashMap<>(Drift.quantileBins(scoredSample, columns, bins).cuts());
    double[] scoreCuts = cuts.remove(scoreColumn);
    return new DriftReference(
        split, 0, bins, threshold, cuts, Map.of(), scoreCuts, new double[0], Double.NaN);
  }

  /** This reference's edges with the rows, shares and positive rate of {@code p}. */
  public DriftReference measured(Profile p) {
    return new DriftReference(
        split,
        p.rows(),
        bins,
        threshold,
        featureCuts,
        p.featureShares(),
        scoreCuts,
        p.scoreShares(),
        p.positiveRate());
  }

  /**
   * {@code scored} (rows with this reference's features and the score in {@code scoreColumn}) on
   * this reference's bins, in one pass: every feature's and the score's shares, and the positive
   * rate at the reference's threshold.
   */
  public Profile profile(Dataset<Row> scored, String scoreColumn) {
    Map<String, double[]> cuts = new LinkedHashMap<>(featureCuts);
    cuts.put(scoreColumn, scoreCuts);
    cuts.put(POSITIVE, new double[] {0.5});
    Dataset<Row> rows =
        scored.withColumn(
            POSITIVE,
            when(col(scoreColumn).isNull(), lit(null).cast("double"))
                .otherwise(when(col(scoreColumn).geq(threshold), 1.0).otherwise(0.0)));
    Drift.Tally t = Drift.tally(rows, new Drift.Bins(cuts));
    Map<String, double[]> shares = new LinkedHashMap<>(t.shares());
    double[] positive = shares.remove(POSITIVE);
    double[] score = shares.remove(scoreColumn);
    return new Profile(t.rows(), shares, score, t.rows() == 0 ? Double.NaN : positive[2]);
  }

  /**
   * The same profile as {@link #profile(Dataset, String)}, from counts made elsewhere on this
   * reference's bins (the scorer's own pass): per feature and for the score, the rows in each bin
   * ({@code [null, x <= e0, ..., x > e(k-1)]}), and the rows scored at least the threshold.
   */
  public Profile profile(
      long rows, Map<String, long[]> featureCounts, long[] scoreCounts, long atLeastThreshold) {
    Map<String, double[]> shares = new LinkedHashMap<>();
    for (Map.Entry<String, double[]> e : featureCuts.entrySet()) {
      long[] c = featureCounts.get(e.getKey());
      if (c == null || c.length != e.getValue().length + 2) {
        throw new IllegalArgumentException(
            "Cannot profile feature '"
                + e.getKey()
                + "': expected "
                + (e.getValue().length + 2)
                + " bin counts on this reference's edges");
      }
      shares.put(e.getKey(), sharesOf(c, rows));
    }
    return new Profile(
        rows,
        shares,
        sharesOf(scoreCounts, rows),
        rows == 0 ? Double.NaN : (double) atLeastThreshold / rows);
  }

  private static double[] sharesOf(long[] counts, long rows) {
    double[] s = new double[counts.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = rows == 0 ? 0 : counts[i] / (double) rows;
    }
    return s;
  }

  /** PSI per feature of {@code target} against this reference. */
  public Map<String, Double> featurePsi(Profile target) {
    return Drift.psi(featureShares, target.featureShares());
  }

  /** PSI of {@code target}'s score against this reference's. */
  public double scorePsi(Profile target) {
    return Drift.psi(scoreShares, target.scoreShares());
  }

  /** The JSON form ({@link #fromJson} reads it back). */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format_version", FORMAT_VERSION);
    m.put("split", split);
    m.put("rows", rows);
    m.put("bins", bins);
    m.put("threshold", threshold);
    m.put("positive_rate", positiveRate);
    m.put("score", histogram(scoreCuts, scoreShares));
    Map<String, Object> features = new LinkedHashMap<>();
    featureCuts.forEach((f, c) -> features.put(f, histogram(c, featureShares.get(f))));
    m.put("features", features);
    m.put(
        "bins_note",
        "shares[0] is the null share; shares[i] (i >= 1) holds cuts[i-2] < x <= cuts[i-1], open"
            + " at both ends");
    return m;
  }

  private static Map<String, Object> histogram(double[] cuts, double[] shares) {
    Map<String, Object> h = new LinkedHashMap<>();
    h.put("cuts", cuts);
    h.put("shares", shares);
    return h;
  }

  /** Reads the form {@link #toJson} writes; {@code location} names the file in errors. */
  @SuppressWarnings("unchecked")
  public static DriftReference fromJson(Map<String, Object> json, String location) {
    try {
      Object version = json.get("format_version");
      if (!(version instanceof Number n) || n.intValue() != FORMAT_VERSION) {
        throw new IllegalArgumentException(
            "format_version " + version + " is not " + FORMAT_VERSION);
      }
      Map<String, double[]> cuts = new LinkedHashMap<>();
      Map<String, double[]> shares = new LinkedHashMap<>();
      ((Map<String, Object>) json.get("features"))
          .forEach(
              (f, h) -> {
                cuts.put(f, doubles(((Map<String, Object>) h).get("cuts")));
                shares.put(f, doubles(((Map<String, Object>) h).get("shares")));
              });
      Map<String, Object> score = (Map<String, Object>) json.get("score");
      return new DriftReference(
          String.valueOf(json.get("split")),
          ((Number) json.get("rows")).longValue(),
          ((Number) json.get("bins")).intValue(),
          ((Number) json.get("threshold")).doubleValue(),
          cuts,
          shares,
          doubles(score.get("cuts")),
          doubles(score.get("shares")),
          ((Number) json.get("positive_rate")).doubleValue());
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "Cannot read the training reference at "
              + location
              + ": "
              + e.getMessage()
              + " (retrain the model, or delete the file and the monitor measures the train split"
              + " again)",
          e);
    }
  }

  private static double[] doubles(Object list) {
    return ((List<?>) list).stream().mapToDouble(x -> ((Number) x).doubleValue()).toArray();
  }
}
