package dev.plumb.jobs;

/** The short summary a job prints at the end. */
final class Summary {

  private Summary() {}

  static String render(String job, Pipeline.Outcome o) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%nPlumb %s finished in %.1f s%n", job, o.seconds()));
    if (o.ingest() != null) {
      IngestStage.Result i = o.ingest();
      sb.append(
          String.format(
              "  rows               read %,d  clean %,d  quarantined %,d %s%n",
              i.rowsRead(), i.rowsClean(), i.rowsQuarantined(), i.quarantinedByReason()));
    }
    if (o.features() != null) {
      sb.append(
          String.format(
              "  feature set        %s (%s)%n",
              o.features().version(), o.features().built() ? "built" : "reused from the store"));
    }
    if (o.train() != null) {
      sb.append(
          String.format(
              "  model              %s (best iteration %d of %d rounds)%n",
              o.train().modelDir().resolve(TrainStage.MODEL_FILE),
              o.train().model().bestIteration(),
              o.train().model().roundsTrained()));
    }
    if (o.evaluate() != null) {
      var m = o.evaluate().metrics();
      sb.append(
          String.format(
              "  test metrics       ROC-AUC %.4f  PR-AUC %.4f  log loss %.4f  (%,d rows, %,d"
                  + " positives)%n",
              m.rocAuc(), m.prAuc(), m.logLoss(), m.count(), m.positives()));
    }
    sb.append(
        String.format(
            "  MLflow run         %s%n", o.runUrl().isEmpty() ? "(tracking off)" : o.runUrl()));
    return sb.toString();
  }
}
