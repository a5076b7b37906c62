package org.certkit.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Random;
import org.certkit.attack.PgdAttack;
import org.certkit.data.ImageDataset;
import org.certkit.domain.ConcreteDomain;
import org.certkit.net.Architectures;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Initialization;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RobustnessEvaluatorTest extends EngineTest {

  private static final BatchStatistics EVAL = BatchStatistics.evaluation();

  @BeforeEach
  void seed() {
    manager.getEngine().setRandomSeed(11);
  }

  /** {@code n} random 2x2 images with random labels of 3 classes (the FOUR_PIXELS format). */
  private static ImageDataset fourPixelImages(int n, long seed) {
    Random random = new Random(seed);
    byte[] pixels = new byte[4 * n];
    random.nextBytes(pixels);
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) random.nextInt(3);
    }
    return new ImageDataset("random-2x2", 1, 2, 2, 3, pixels, labels);
  }

  /** The same images with every label moved to the next class. */
  private static ImageDataset shiftedLabels(ImageDataset data) {
    int n = data.size();
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    byte[] pixels = new byte[4 * n];
    byte[] labels = new byte[n];
    try (NDManager m = NDManager.newBaseManager()) {
      float[] values = data.images(m, all).toFloatArray();
      for (int k = 0; k < values.length; k++) {
        pixels[k] = (byte) Math.round(values[k] * 255);
      }
    }
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) ((data.label(i) + 1) % 3);
    }
    return new ImageDataset("shifted", 1, 2, 2, 3, pixels, labels);
  }

  private static Network linear(NDManager manager, long seed) {
    return Architectures.build(new Architectures.Spec("fc", 1, new int[0]),
        TinyNetworks.FOUR_PIXELS, Initialization.DEFAULT, seed, manager);
  }

  /**
   * A network whose output does not depend on its input (zero weights) keeps every prediction:
   * robustness 1, while PGD accuracy equals clean accuracy, the share of labels that happen to be
   * the constant prediction (about a third, so the two measures differ).
   */
  @Test
  void constantOutputHasRobustnessOne() {
    try (Network net = linear(manager, 3)) {
      Linear layer = (Linear) net.layers().get(2);
      layer.weight().muli(0);
      ImageDataset data = fourPixelImages(90, 5);
      long constant = layer.bias().argMax().getLong();
      int matching = 0;
      for (int i = 0; i < data.size(); i++) {
        matching += data.label(i) == constant ? 1 : 0;
      }
      RobustnessReport r = new RobustnessEvaluator(new PgdAttack(10, 0.25, 2, true), null, 32)
          .evaluate(net, data, data.size(), 0.3, manager, done -> {});
      assertEquals(1.0, r.pgdRobustness());
      assertEquals((double) matching / data.size(), r.cleanAccuracy(), 1e-12);
      assertEquals(r.cleanAccuracy(), r.pgdAccuracy(), 1e-12);
      assertTrue(r.cleanAccuracy() > 0.1 && r.cleanAccuracy() < 0.6, r.toString());
    }
  }

  /**
   * The evaluator's robustness and PGD accuracy equal a recomputation one point at a time: attack
   * the point's own clean prediction (a deterministic attack, so batch and single point follow
   * the same path) and compare the predictions. With random labels many misclassified points keep
   * their prediction, so robustness is well above PGD accuracy here.
   */
  @Test
  void robustnessMatchesAPerPointRecomputation() {
    try (Network net = TinyNetworks.fc(manager, 8)) {
      ImageDataset data = fourPixelImages(80, 9);
      PgdAttack attack = new PgdAttack(15, 0.2, 1, false);
      double eps = 0.15;
      RobustnessReport r = new RobustnessEvaluator(attack, null, 25)
          .evaluate(net, data, data.size(), eps, manager, done -> {});
      int stable = 0;
      int stableAndCorrect = 0;
      for (int i = 0; i < data.size(); i++) {
        try (NDManager point = manager.newSubManager()) {
          NDArray x = data.images(point, new int[] {i});
          long clean = ConcreteDomain.forward(net, x, EVAL).argMax(1).getLong();
          NDArray target = point.create(new long[] {clean});
          NDArray adversarial = attack.attack(net, x, target, eps, EVAL);
          long attacked = ConcreteDomain.forward(net, adversarial, EVAL).argMax(1).getLong();
          stable += attacked == clean ? 1 : 0;
          stableAndCorrect += attacked == clean && clean == data.label(i) ? 1 : 0;
        }
      }
      assertEquals((double) stable / data.size(), r.pgdRobustness(), 1e-12);
      assertEquals((double) stableAndCorrect / data.size(), r.pgdAccuracy(), 1e-12);
      assertTrue(stable > 0 && stable < data.size(), "the test needs both kinds: " + stable);
      assertTrue(r.pgdRobustness() > r.pgdAccuracy() + 0.1, r.toString());
    }
  }

  /** Robustness does not look at the labels; accuracy does. */
  @Test
  void robustnessIgnoresTheLabels() {
    try (Network net = TinyNetworks.fc(manager, 4)) {
      ImageDataset data = fourPixelImages(60, 13);
      RobustnessEvaluator evaluator = new RobustnessEvaluator(new PgdAttack(10, 0.2, 1, false),
          null, 60);
      RobustnessReport original = evaluator.evaluate(net, data, data.size(), 0.2, manager,
          done -> {});
      RobustnessReport shifted = evaluator.evaluate(net, shiftedLabels(data), data.size(), 0.2,
          manager, done -> {});
      assertEquals(original.pgdRobustness(), shifted.pgdRobustness(), 1e-12);
      assertTrue(original.cleanAccuracy() != shifted.cleanAccuracy(), original + " " + shifted);
    }
  }

  /**
   * On a linear network the prediction margins are linear in the input, so whether a prediction
   * can change over the box is decided exactly by its 16 corners. PGD finds real points only:
   * every point that is exactly robust keeps its prediction under PGD, so PGD robustness is at
   * least the exact robustness. PGD maximises the cross-entropy, not a margin, so it can miss a
   * corner that flips the prediction; with restarts it still finds most (5 of the 57 misses here).
   */
  @Test
  void linearNetworkAgreesWithCornerEnumeration() {
    try (Network net = linear(manager, 21)) {
      Affine f = Affine.of(net);
      double[] w = f.weight();
      double[] b = f.bias();
      double mean = f.mean();
      double std = f.std();
      ImageDataset data = fourPixelImages(100, 17);
      double eps = 0.1;
      RobustnessReport r = new RobustnessEvaluator(new PgdAttack(30, 0.2, 4, true), null, 50)
          .evaluate(net, data, data.size(), eps, manager, done -> {});
      int exact = 0;
      float[] pixels = data.images(manager, range(data.size())).toFloatArray();
      for (int i = 0; i < data.size(); i++) {
        double[] clean = new double[4];
        for (int d = 0; d < 4; d++) {
          clean[d] = pixels[4 * i + d];
        }
        int predicted = argMax(logits(clean, w, b, mean, std));
        boolean robust = true;
        double[] corner = new double[4];
        for (int c = 0; c < 16 && robust; c++) {
          for (int d = 0; d < 4; d++) {
            corner[d] = ((c >> d) & 1) == 1 ? Math.min(1, clean[d] + eps)
                : Math.max(0, clean[d] - eps);
          }
          robust = argMax(logits(corner, w, b, mean, std)) == predicted;
        }
        exact += robust ? 1 : 0;
      }
      double exactRobustness = (double) exact / data.size();
      assertTrue(exactRobustness > 0.2 && exactRobustness < 0.95, "eps should flip some: "
          + exactRobustness);
      assertTrue(r.pgdRobustness() >= exactRobustness, r + " vs exact " + exactRobustness);
      assertTrue(r.pgdRobustness() <= exactRobustness + 0.08, r + " vs exact " + exactRobustness);
    }
  }

  /**
   * On one linear layer the worst margin over the box has a closed form (each pixel at the end
   * of its clipped interval that lowers the margin), and interval bounds with the last layer
   * merged attain it. So the cascade certifies every example, by IBP, exactly when that margin
   * is positive, the lowest margin bound of each example is that margin (to rounding), and the
   * report's method counts and margin histogram count those examples.
   */
  @Test
  void certificationCountsMethodsAndMarginsAsTheExactMarginsOfALinearNetwork() {
    try (Network net = linear(manager, 21)) {
      Affine f = Affine.of(net);
      double[] w = f.weight();
      double[] b = f.bias();
      ImageDataset data = fourPixelImages(100, 5);
      double eps = 0.05;
      java.util.List<RobustnessEvaluator.ExampleResult> results = new java.util.ArrayList<>();
      RobustnessReport r = new RobustnessEvaluator(null, org.certkit.certify.Certifier.Method.AUTO,
          32).evaluate(net, data, data.size(), eps, manager, done -> {}, results::add);
      float[] pixels = data.images(manager, range(data.size())).toFloatArray();
      int positive = 0;
      for (int i = 0; i < data.size(); i++) {
        int t = data.label(i);
        double worst = Double.POSITIVE_INFINITY;
        for (int k = 0; k < b.length; k++) {
          if (k == t) {
            continue;
          }
          double margin = b[t] - b[k];
          for (int d = 0; d < 4; d++) {
            double slope = (w[t * 4 + d] - w[k * 4 + d]) / f.std();
            double lo = Math.max(0, pixels[4 * i + d] - eps);
            double hi = Math.min(1, pixels[4 * i + d] + eps);
            margin += Math.min(slope * (lo - f.mean()), slope * (hi - f.mean()));
          }
          worst = Math.min(worst, margin);
        }
        assertEquals(worst, results.get(i).lowestBound(), 1e-5, "example " + i);
        assertTrue(Math.abs(worst) > 1e-4, "a margin too close to 0 for this test: " + worst);
        positive += worst > 0 ? 1 : 0;
        assertEquals(worst > 0, results.get(i).certified(), "example " + i);
      }
      assertTrue(positive > 10 && positive < 90, "eps should leave some undecided: " + positive);
      assertEquals(java.util.Map.of("ibp", positive), r.certifiedBy());
      assertEquals(data.size(), r.margins().total());
      int[] counts = r.margins().counts();
      double[] edges = r.margins().edges();
      int aboveZero = 0;
      for (int bin = 0; bin < counts.length; bin++) {
        aboveZero += edges[bin] > 0 ? counts[bin] : 0;
      }
      assertTrue(aboveZero <= positive && aboveZero >= positive - counts[zeroBin(edges)],
          aboveZero + " in bins above 0, " + positive + " positive");
    }
  }

  /**
   * Examples the attack broke or the network misclassifies skip alpha-CROWN: the same examples
   * are certified as by the whole cascade on every example (ground truth: the certifier run
   * without the attack's word), while the refuted ones the whole cascade sent on to alpha-CROWN
   * stop at CROWN.
   */
  @Test
  void refutedExamplesSkipAlphaCrownAndCostNoCertificate() {
    try (Network net = Architectures.build(new Architectures.Spec("fc", 1, new int[] {16, 16}),
        TinyNetworks.FOUR_PIXELS, Initialization.DEFAULT, 3, manager)) {
      ImageDataset data = fourPixelImages(60, 8);
      double eps = 0.04;
      java.util.List<RobustnessEvaluator.ExampleResult> results = new java.util.ArrayList<>();
      new RobustnessEvaluator(new PgdAttack(20, 0.25, 2, true),
          org.certkit.certify.Certifier.Method.AUTO, 64)
          .evaluate(net, data, data.size(), eps, manager, done -> {}, results::add);
      NDArray x = data.images(manager, range(data.size()));
      NDArray y = data.labels(manager, range(data.size()));
      org.certkit.certify.Certifier.Decision[] whole =
          new org.certkit.certify.Certifier(org.certkit.certify.Certifier.Method.AUTO).decide(
              net, org.certkit.spec.InputSet.LinfBall.pixels(x, eps),
              new org.certkit.spec.Specification.Margins(y));
      int skipped = 0;
      int certified = 0;
      for (int i = 0; i < data.size(); i++) {
        RobustnessEvaluator.ExampleResult r = results.get(i);
        assertEquals(whole[i].verdict().isCertified(), r.certified(), "example " + i);
        certified += r.certified() ? 1 : 0;
        if (!r.pgdSurvives()) {
          assertTrue(!r.method().equals("alpha-crown"), "example " + i + " reached alpha-CROWN");
          skipped += whole[i].method() == org.certkit.certify.Certifier.Method.ALPHA_CROWN
              ? 1 : 0;
        }
      }
      assertTrue(skipped > 5, "refuted examples that alpha-CROWN would have bounded: " + skipped);
      assertTrue(certified > 3, "certified: " + certified);
      // alpha-CROWN alone has no cheaper stage: refuted examples are bounded by it too.
      java.util.List<RobustnessEvaluator.ExampleResult> alone = new java.util.ArrayList<>();
      new RobustnessEvaluator(new PgdAttack(20, 0.25, 2, true),
          org.certkit.certify.Certifier.Method.ALPHA_CROWN, 64)
          .evaluate(net, data, data.size(), eps, manager, done -> {}, alone::add);
      assertEquals(data.size(), alone.size());
      assertTrue(alone.stream().allMatch(r -> r.method().equals("alpha-crown")),
          "every example bounded by alpha-CROWN");
    }
  }

  /** The bin whose interval holds 0. */
  private static int zeroBin(double[] edges) {
    int bin = 0;
    while (bin < edges.length - 2 && edges[bin + 1] <= 0) {
      bin++;
    }
    return bin;
  }

  /** The parameters of {@link #linear}'s network: normalisation, then one linear layer. */
  private record Affine(double[] weight, double[] bias, double mean, double std) {
    static Affine of(Network net) {
      Normalize normalize = (Normalize) net.layers().get(0);
      Linear layer = (Linear) net.layers().get(2);
      return new Affine(layer.weight().toType(DataType.FLOAT64, false).toDoubleArray(),
          layer.bias().toType(DataType.FLOAT64, false).toDoubleArray(), normalize.mean()[0],
          normalize.std()[0]);
    }
  }

  private static int[] range(int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = i;
    }
    return out;
  }

  private static double[] logits(double[] x, double[] w, double[] b, double mean, double std) {
    double[] out = new double[b.length];
    for (int k = 0; k < b.length; k++) {
      out[k] = b[k];
      for (int d = 0; d < x.length; d++) {
        out[k] += w[k * x.length + d] * (x[d] - mean) / std;
      }
    }
    return out;
  }

  private static int argMax(double[] values) {
    int best = 0;
    for (int k = 1; k < values.length; k++) {
      if (values[k] > values[best]) {
        best = k;
      }
    }
    return best;
  }
}
