package org.certkit.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkConf;
import org.apache.spark.Success$;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.certkit.certify.Certifier;
import org.certkit.data.DatasetName;
import org.certkit.data.DatasetStore;
import org.certkit.data.FakeMnist;
import org.certkit.data.ImageDataset;
import org.certkit.data.Split;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.eval.RobustnessEvaluator;
import org.certkit.eval.RobustnessEvaluator.ExampleResult;
import org.certkit.eval.RobustnessReport;
import org.certkit.io.Checkpoint;
import org.certkit.net.Architectures;
import org.certkit.net.Initialization;
import org.certkit.net.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark's results equal the single-machine evaluation example for example (verdict, deciding
 * method, lowest margin bound), in {@code local[2]} and when the first task fails once and is
 * retried ({@code local[2,2]}: two threads, two attempts per task).
 */
class SparkCertificationTest {

  @TempDir Path dir;

  /** An example's result without its time, which differs from run to run. */
  private record Outcome(int index, int label, boolean correct, String verdict, String method,
      double lowestBound) {

    static Outcome of(ExampleResult r) {
      return new Outcome(r.index(), r.label(), r.correct(), r.verdict(), r.method(),
          r.lowestBound());
    }
  }

  @Test
  void sparkMatchesTheSingleMachineRunAlsoAfterARetriedTask() throws Exception {
    FakeMnist.writeRandomTestSet(dir, 300, 5);
    Path model = dir.resolve("model.ckpt");
    List<Outcome> expected = new ArrayList<>();
    RobustnessReport single;
    try (NDManager manager = NDManager.newBaseManager();
        Network network = Architectures.build(new Architectures.Spec("fc", 1, new int[] {32}),
            DatasetName.MNIST.inputFormat(), Initialization.IBP, 4, manager)) {
      Checkpoint.save(model, network, Map.of(), null);
      ImageDataset test = DatasetStore.load(DatasetName.MNIST, Split.TEST, dir);
      single = new RobustnessEvaluator(null, Certifier.Method.LINEAR, 50).evaluate(network,
          test, 250, 0.002, manager, done -> { }, r -> expected.add(Outcome.of(r)));
    }
    // Mixed verdicts, so that equal results say something.
    org.junit.jupiter.api.Assertions.assertTrue(single.certifiedAccuracy() > 0
        && single.certifiedAccuracy() < 1, "certified " + single.certifiedAccuracy());
    SparkCertification.Job job = new SparkCertification.Job(Files.readAllBytes(model),
        "model.ckpt", DatasetName.MNIST, dir.toString(), 0.002, Certifier.Method.LINEAR,
        Certifier.DEFAULT_BAB_LIMIT, LinearBoundDomain.SoundArithmetic.FLOAT64, 50, 250, 100,
        false);
    for (String master : List.of("local[2]", "local[2,2]")) {
      boolean inject = master.equals("local[2,2]");
      AtomicInteger failed = new AtomicInteger();
      try (JavaSparkContext spark = new JavaSparkContext(new SparkConf().setMaster(master)
          .setAppName("certkit-test").set("spark.ui.enabled", "false"))) {
        spark.sc().addSparkListener(new SparkListener() {
          @Override
          public void onTaskEnd(SparkListenerTaskEnd end) {
            if (end.reason() != Success$.MODULE$) {
              failed.incrementAndGet();
            }
          }
        });
        SparkCertification.Result result = SparkCertification.run(spark,
            new SparkCertification.Job(job.model(), job.modelName(), job.dataset(),
                job.dataRoot(), job.eps(), job.method(), job.babLimit(), job.arithmetic(),
                job.batchSize(), job.examples(), job.chunk(), inject));
        assertEquals(3, result.tasks());
        assertEquals(expected, result.examples().stream().map(Outcome::of).toList(), master);
        assertEquals(single.certifiedAccuracy(), result.report().certifiedAccuracy(), master);
        assertEquals(single.cleanAccuracy(), result.report().cleanAccuracy(), master);
        spark.sc().listenerBus().waitUntilEmpty();
        assertEquals(inject ? 1 : 0, failed.get(), master + ": failed task attempts");
      }
    }
  }
}
