package org.certkit.certify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Random;
import org.certkit.attack.PgdAttack;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.net.BatchNorm;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Conv2d;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CertifierTest extends EngineTest {

  private static final BatchStatistics EVAL = BatchStatistics.evaluation();
  private final Certifier certifier = new Certifier();

  @BeforeEach
  void seed() {
    manager.getEngine().setRandomSeed(21);
  }

  /**
   * Branch and bound on a convolutional net (splits on the ReLUs of convolutions, their signs
   * shaped as the feature maps): it runs on the examples alpha-CROWN leaves open, certifies some
   * of them, and every example it certifies survives PGD with 50 steps and 5 restarts.
   */
  @Test
  void branchAndBoundOnAConvolutionalNetCertifiesWhatAlphaCrownLeavesAndOnlyThat() {
    try (Network net = TinyNetworks.convBn(manager, 13)) {
      randomiseBatchNorm(net, new Random(2));
      int n = 16;
      NDArray x = TinyNetworks.inputs(manager, net, n);
      NDArray labels = ConcreteDomain.forward(net, x, EVAL).argMax(1);
      long[] label = labels.toLongArray();
      int byBab = 0;
      double eps = 0.03;
      Certifier.Decision[] bab = new Certifier(Certifier.Method.BAB,
          java.time.Duration.ofSeconds(5)).decide(net, new InputSet.LinfBall(x, eps, 0, 1),
          new Specification.Margins(labels));
      NDArray adversarial = new PgdAttack(50, 0.1, 5, true).attack(net, x, labels, eps, EVAL);
      long[] predicted = ConcreteDomain.forward(net, adversarial, EVAL).argMax(1).toLongArray();
      for (int i = 0; i < n; i++) {
        if (bab[i].verdict().isCertified()) {
          assertEquals(label[i], predicted[i], "example " + i + " certified at eps " + eps
              + " but PGD changes its class");
          byBab += bab[i].method() == Certifier.Method.BAB ? 1 : 0;
        }
      }
      assertTrue(byBab > 0, "branch and bound certified nothing beyond alpha-CROWN");
    }
  }

  /**
   * The cascade's alpha-CROWN screens with a short optimisation first: it must still certify
   * every example that the full alpha-CROWN optimisation alone certifies, and some of them must
   * need alpha-CROWN (beyond CROWN) for the check to mean something.
   */
  @Test
  void cascadeCertifiesEveryExampleThatFullAlphaCrownCertifies() {
    try (Network net = TinyNetworks.convBn(manager, 13)) {
      randomiseBatchNorm(net, new Random(2));
      int n = 32;
      NDArray x = TinyNetworks.inputs(manager, net, n);
      NDArray labels = ConcreteDomain.forward(net, x, EVAL).argMax(1);
      int byAlpha = 0;
      for (double eps : new double[] {0.02, 0.03}) {
        InputSet ball = new InputSet.LinfBall(x, eps, 0, 1);
        Specification margins = new Specification.Margins(labels);
        Certifier.Decision[] alone = new Certifier(Certifier.Method.ALPHA_CROWN).decide(net,
            ball, margins);
        Certifier.Decision[] cascade = new Certifier(Certifier.Method.AUTO).decide(net, ball,
            margins);
        for (int i = 0; i < n; i++) {
          if (alone[i].verdict().isCertified()) {
            assertTrue(cascade[i].verdict().isCertified(), "eps " + eps + ", example " + i
                + ": alpha-CROWN certifies it, the cascade leaves it at "
                + cascade[i].lowestBound());
          }
          byAlpha += cascade[i].verdict().isCertified()
              && cascade[i].method() == Certifier.Method.ALPHA_CROWN ? 1 : 0;
        }
      }
      assertTrue(byAlpha > 0, "no example needed alpha-CROWN");
    }
  }

  /**
   * Every example certified on a random conv net with BatchNorm survives PGD with 50 steps and 3
   * restarts; enough examples are certified, and PGD breaks some uncertified ones, for the check
   * to be meaningful.
   */
  @Test
  void certifiedExamplesSurviveStrongPgd() {
    try (Network net = TinyNetworks.convBn(manager, 13)) {
      randomiseBatchNorm(net, new Random(2));
      int n = 48;
      double eps = 0.01;
      NDArray x = TinyNetworks.inputs(manager, net, n);
      // The network's own predictions as labels: every example is correct, many are robust.
      NDArray labels = ConcreteDomain.forward(net, x, EVAL).argMax(1);
      Verdict[] verdicts = certifier.certify(net, x, labels, eps);
      NDArray adversarial = new PgdAttack(50, 0.1, 3, true).attack(net, x, labels, eps, EVAL);
      long[] predicted = ConcreteDomain.forward(net, adversarial, EVAL).argMax(1).toLongArray();
      long[] label = labels.toLongArray();
      int certified = 0;
      int attacked = 0;
      for (int i = 0; i < n; i++) {
        if (verdicts[i].isCertified()) {
          certified++;
          assertEquals(label[i], predicted[i], "example " + i
              + " is certified yet PGD changes its class");
        } else if (predicted[i] != label[i]) {
          attacked++;
        }
      }
      assertTrue(certified >= 10, "too few certified examples to be meaningful: " + certified);
      assertTrue(attacked > 0, "PGD should break some uncertified example");
    }
  }

  /**
   * At eps = 0 an example is certified exactly when its label's logit beats every other logit
   * strictly (float64 forward pass as reference); a tie between two identical classes is not.
   */
  @Test
  void zeroEpsilonCertifiesExactlyTheStrictlyCorrectExamples() {
    try (Network net = TinyNetworks.convBn(manager, 7)) {
      randomiseBatchNorm(net, new Random(3));
      int n = 60;
      NDArray x = TinyNetworks.inputs(manager, net, n);
      NDArray labels = manager.randomInteger(0, 4, new Shape(n), DataType.INT64);
      assertSameAsStrictMargin(net, x, labels);

      // Make class 1 a copy of class 0: their margin is exactly 0, so neither can be certified.
      Linear last = (Linear) net.layers().getLast();
      float[] w = last.weight().toFloatArray();
      float[] b = last.bias().toFloatArray();
      int in = last.inFeatures();
      System.arraycopy(w, 0, w, in, in);
      b[1] = b[0];
      last.weight().set(w);
      last.bias().set(b);
      Verdict[] verdicts = assertSameAsStrictMargin(net, x, labels);
      long[] label = labels.toLongArray();
      for (int i = 0; i < n; i++) {
        if (label[i] <= 1) {
          assertInstanceOf(Verdict.Unknown.class, verdicts[i],
              "example " + i + " ties classes 0 and 1");
        }
      }
    }
  }

  /**
   * The sound (OUTWARD) margin lower bounds never exceed the plain float64 (NEAREST) ones and stay
   * within 1e-9 of them, relative to the size of the bounds: the rounding allowance is tiny.
   */
  @Test
  void outwardBoundsAreBelowAndCloseToNearestOnes() {
    try (Network net = TinyNetworks.convBn(manager, 5)) {
      randomiseBatchNorm(net, new Random(4));
      int n = 32;
      NDArray x = TinyNetworks.inputs(manager, net, n);
      NDArray labels = manager.arange(0, n, 1, DataType.INT64).mod(4);
      for (double eps : new double[] {0, 0.01, 0.1}) {
        Box box = Box.linfBall(x, eps);
        double[] outward = new IntervalDomain(IntervalDomain.Rounding.OUTWARD)
            .marginLowerBounds(net, box, labels, EVAL).toDoubleArray();
        double[] nearest = new IntervalDomain(IntervalDomain.Rounding.NEAREST)
            .marginLowerBounds(net, box, labels, EVAL).toDoubleArray();
        boolean strictlyBelowSomewhere = false;
        for (int i = 0; i < outward.length; i++) {
          long label = i / 4 % 4;
          if (i % 4 == label) {
            continue; // the label's own entry
          }
          assertTrue(outward[i] <= nearest[i], "eps " + eps + ", entry " + i + ": outward "
              + outward[i] + " > nearest " + nearest[i]);
          strictlyBelowSomewhere |= outward[i] < nearest[i];
          assertTrue(nearest[i] - outward[i] < 1e-9 * Math.max(1, Math.abs(nearest[i])),
              "eps " + eps + ", entry " + i + ": allowance " + (nearest[i] - outward[i]));
        }
        assertTrue(strictlyBelowSomewhere, "OUTWARD should widen the bounds at all");
      }
    }
  }

  /**
   * A NaN or infinite weight, bias or BatchNorm statistic: the certifier refuses the network with
   * an error naming the array, and the OUTWARD domain alone proves no margin either (a -inf bound
   * turned into 0 by a ReLU would otherwise look certain).
   */
  @Test
  void nonFiniteParametersNeverCertify() {
    float[] poisons = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
    String[] places = {"first conv weight", "BatchNorm running mean", "BatchNorm gamma",
        "last bias", "last weight"};
    IntervalDomain outward = new IntervalDomain(IntervalDomain.Rounding.OUTWARD);
    try (Network net = TinyNetworks.convBn(manager, 7)) {
      NDArray x = TinyNetworks.inputs(manager, net, 16);
      NDArray labels = ConcreteDomain.forward(net, x, EVAL).argMax(1);
      double eps = 0.001;
      assertTrue(count(certifier.certify(net, x, labels, eps)) > 0,
          "the clean network should certify something");
      for (float poison : poisons) {
        for (int place = 0; place < places.length; place++) {
          NDArray target = parameter(net, place);
          float[] original = target.toFloatArray();
          float[] poisoned = original.clone();
          poisoned[poisoned.length / 2] = poison;
          target.set(poisoned);
          try {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> certifier.certify(net, x, labels, eps), poison + " in " + places[place]);
            assertTrue(refused.getMessage().contains("NaN or infinite"), refused.getMessage());
            double[] margins = outward.marginLowerBounds(net,
                Box.linfBall(x.toType(DataType.FLOAT64, false), eps), labels, EVAL)
                .toDoubleArray();
            int classes = net.numClasses();
            long[] label = labels.toLongArray();
            for (int i = 0; i < label.length; i++) {
              boolean proven = true;
              for (int k = 0; k < classes; k++) {
                double v = margins[i * classes + k];
                proven &= k == label[i] || (Double.isFinite(v) && v > 0);
              }
              assertTrue(!proven, poison + " in " + places[place] + ": example " + i
                  + " has every margin proven positive");
            }
          } finally {
            target.set(original);
          }
        }
      }
    }
  }

  /**
   * BatchNorm(1) with running mean 1000 and a shift that cancels it, then a Linear layer whose
   * bias leaves an exact margin of about -2.5e-14 at x = 0, eps = 0: UNKNOWN. The shift
   * {@code beta - mean * scale} loses about 1e-13 to rounding, so an allowance relative to the
   * shift alone certified this example. The exact margin is computed here in BigDecimal.
   */
  @Test
  void batchNormCancellationIsNotCertified() {
    float mean = 1000f;
    float variance = 2.0101001f;
    float beta = 705.3263f;
    float eps = 1e-5f;
    float bias = -5.0767905e-8f;
    java.math.MathContext digits = new java.math.MathContext(60);
    java.math.BigDecimal root = new java.math.BigDecimal(variance)
        .add(new java.math.BigDecimal(eps)).sqrt(digits);
    // y = (0 - mean) / root + beta; margin = y - bias (logit 1 is the bias alone).
    java.math.BigDecimal margin = new java.math.BigDecimal(mean).negate().divide(root, digits)
        .add(new java.math.BigDecimal(beta)).subtract(new java.math.BigDecimal(bias));
    assertTrue(margin.signum() < 0 && margin.abs().doubleValue() < 1e-13,
        "the case must have a tiny negative margin: " + margin.doubleValue());
    try (NDManager owner = manager.newSubManager()) {
      BatchNorm bn = new BatchNorm(owner.create(new float[] {1f}), owner.create(new float[] {beta}),
          owner.create(new float[] {mean}), owner.create(new float[] {variance}), eps, 0.1f);
      Linear linear = new Linear(owner.create(new float[] {1f, 0f}, new Shape(2, 1)),
          owner.create(new float[] {0f, bias}));
      Network net = new Network("bn-cancellation", new Shape(1), List.of(bn, linear), owner);
      NDArray x = manager.zeros(new Shape(1, 1));
      NDArray label = manager.create(new long[] {0});
      assertInstanceOf(Verdict.Unknown.class, certifier.certify(net, x, label, 0)[0]);
      for (Certifier.Method method : Certifier.Method.values()) {
        assertInstanceOf(Verdict.Unknown.class,
            new Certifier(method).certify(net, x, label, 0)[0], method.label());
        double crown = new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
            IntervalDomain.Rounding.OUTWARD).lowerBounds(net,
            InputSet.LinfBall.pixels(x.toType(DataType.FLOAT64, false), 0),
            new Specification.Margins(label), EVAL).toDoubleArray()[1];
        assertTrue(new java.math.BigDecimal(crown).compareTo(margin) <= 0,
            "CROWN bound " + crown + " above the exact margin " + margin.doubleValue());
      }
      double lower = new IntervalDomain(IntervalDomain.Rounding.OUTWARD).marginLowerBounds(net,
          Box.linfBall(x.toType(DataType.FLOAT64, false), 0), label, EVAL).toDoubleArray()[1];
      assertTrue(new java.math.BigDecimal(lower).compareTo(margin) <= 0,
          "bound " + lower + " above the exact margin " + margin.doubleValue());
    }
  }

  private Verdict[] assertSameAsStrictMargin(Network net, NDArray x, NDArray labels) {
    Verdict[] verdicts = certifier.certify(net, x, labels, 0);
    double[] logits = ConcreteDomain.forward(net, x.toType(DataType.FLOAT64, false), EVAL)
        .toDoubleArray();
    long[] label = labels.toLongArray();
    int classes = net.numClasses();
    int certified = 0;
    for (int i = 0; i < verdicts.length; i++) {
      boolean strictlyCorrect = true;
      for (int k = 0; k < classes; k++) {
        if (k != label[i]) {
          strictlyCorrect &= logits[i * classes + (int) label[i]] - logits[i * classes + k] > 0;
        }
      }
      assertEquals(strictlyCorrect, verdicts[i].isCertified(),
          "example " + i);
      certified += strictlyCorrect ? 1 : 0;
    }
    assertTrue(certified > 0 && certified < verdicts.length,
        "both verdicts should occur: " + certified + " of " + verdicts.length);
    return verdicts;
  }

  private static int count(Verdict[] verdicts) {
    int c = 0;
    for (Verdict v : verdicts) {
      c += v.isCertified() ? 1 : 0;
    }
    return c;
  }

  /** The parameter array numbered as in {@code nonFiniteParametersNeverCertify}'s places. */
  private static NDArray parameter(Network net, int place) {
    NDArray target = null;
    for (Layer layer : net.layers()) {
      if (place == 0 && layer instanceof Conv2d c && target == null) {
        target = c.weight();
      } else if ((place == 1 || place == 2) && layer instanceof BatchNorm b && target == null) {
        target = place == 1 ? b.runningMean() : b.gamma();
      } else if (place == 3 && layer instanceof Linear l) {
        target = l.bias();
      } else if (place == 4 && layer instanceof Linear l) {
        target = l.weight();
      }
    }
    return target;
  }

  private static void randomiseBatchNorm(Network net, Random random) {
    for (Layer layer : net.layers()) {
      if (layer instanceof BatchNorm b) {
        int c = b.channels();
        float[] mean = new float[c];
        float[] var = new float[c];
        float[] gamma = new float[c];
        float[] beta = new float[c];
        for (int i = 0; i < c; i++) {
          mean[i] = (float) (0.2 * random.nextGaussian());
          var[i] = (float) (0.5 + 1.5 * random.nextDouble());
          gamma[i] = (float) (3 * random.nextDouble() - 1.5);
          beta[i] = (float) (0.2 * random.nextGaussian());
        }
        b.runningMean().set(mean);
        b.runningVar().set(var);
        b.gamma().set(gamma);
        b.beta().set(beta);
      }
    }
  }
}
