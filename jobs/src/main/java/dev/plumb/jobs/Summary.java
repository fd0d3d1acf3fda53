package dev.plumb.jobs;

import dev.plumb.features.ingest.IngestRun;
import dev.plumb.training.ModelStore;

/** The short summary a job prints at the end. */
final class Summary {

  private Summary() {}

  static String render(String job, Pipeline.Outcome o) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%nPlumb %s finished in %.1f s%n", job, o.seconds()));
    if (o.ingest() != null) {
      IngestRun.Result i = o.ingest();
      sb.append(
          String.format(
              "  files              %d ingested, %d skipped%s%n"
                  + "  rows               read %,d  clean %,d  quarantined %,d %s%n",
              i.filesRead(),
              i.filesSkipped(),
              i.unchanged() ? " (input unchanged: tables not rewritten)" : "",
              i.rowsRead(),
              i.rowsClean(),
              i.rowsQuarantined(),
              i.quarantinedByReason()));
      sb.append(String.format("  ingest report      %s%n", i.report()));
    }
    if (o.features() != null) {
      sb.append(
          String.format(
              "  feature set        %s (%s)%n",
              o.features().version(), o.features().built() ? "built" : "reused from the store"));
    }
    if (o.tune() != null) {
      TuneStage.Result t = o.tune();
      sb.append(
          String.format(
              "  tune               %d trials; best trial %d %s: validation %s %.6f (defaults"
                  + " %.6f)%n  tune report        %s%n",
              t.trials().size(),
              t.best().number(),
              t.best().params(),
              t.metric(),
              t.best().value(),
              t.trials().get(0).value(),
              t.report()));
    }
    if (o.train() != null) {
      sb.append(
          String.format(
              "  model              %s (best iteration %d of %d rounds)%n",
              dev.plumb.features.io.Locations.join(o.train().modelDir(), ModelStore.MODEL_FILE),
              o.train().model().bestIteration(),
              o.train().model().roundsTrained()));
    }
    if (o.evaluate() != null) {
      var m = o.evaluate().metrics();
      sb.append(
          String.format(
              "  test metrics       ROC-AUC %.4f  AP %.4f  log loss %.4f  (%,d rows, %,d"
                  + " positives, %s mode)%n",
              m.rocAuc(),
              m.averagePrecision(),
              m.logLoss(),
              m.count(),
              m.positives(),
              o.evaluate().evaluation().mode()));
      var failed = o.evaluate().evaluation().failedGates();
      sb.append(
          String.format(
              "  gates              %s%n  evaluation report  %s%n",
              o.evaluate().evaluation().gates().isEmpty()
                  ? "none configured"
                  : failed.isEmpty()
                      ? "all " + o.evaluate().evaluation().gates().size() + " passed"
                      : failed.size()
                          + " of "
                          + o.evaluate().evaluation().gates().size()
                          + " FAILED: "
                          + failed.stream().map(g -> g.name()).toList(),
              o.evaluate().html()));
    }
    sb.append(
        String.format(
            "  MLflow run         %s%n", o.runUrl().isEmpty() ? "(tracking off)" : o.runUrl()));
    return sb.toString();
  }
}
