package org.certkit.domain;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Interval images of layers in exact arithmetic, the oracle for the rounding allowances of
 * {@link IntervalDomain.Rounding#OUTWARD}: every endpoint is a {@link BigDecimal} computed
 * without rounding, or, where a square root or a division makes that impossible, rounded
 * outward to 80 digits (so the oracle box is at most 1e-78 wider than the exact image, which only
 * makes the containment checks stricter).
 *
 * <p>One example at a time; arrays are flattened in C order ({@code [C, H, W]} row-major).
 */
final class ExactIntervals {

  private static final MathContext DIGITS = new MathContext(80, RoundingMode.HALF_EVEN);
  private static final MathContext DOWN = new MathContext(80, RoundingMode.FLOOR);
  private static final MathContext UP = new MathContext(80, RoundingMode.CEILING);

  private ExactIntervals() {}

  /** A closed interval of exact numbers. */
  record Interval(BigDecimal lo, BigDecimal hi) {

    /** The exact set {@code [c - r, c + r]} a float64 centre and radius stand for. */
    static Interval ofBox(double c, double r) {
      BigDecimal centre = new BigDecimal(c);
      BigDecimal radius = new BigDecimal(r);
      return new Interval(centre.subtract(radius), centre.add(radius));
    }

    static Interval point(double v) {
      return new Interval(new BigDecimal(v), new BigDecimal(v));
    }
  }

  /** The exact sets of a float64 box given by flattened centre and radius. */
  static Interval[] ofBox(double[] centre, double[] radius) {
    Interval[] out = new Interval[centre.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = Interval.ofBox(centre[i], radius[i]);
    }
    return out;
  }

  /** The exact ball {@code [max(x - eps, 0), min(x + eps, 1)]} around float64 points. */
  static Interval[] linfBall(double[] x, double eps) {
    Interval[] out = new Interval[x.length];
    BigDecimal e = new BigDecimal(eps);
    for (int i = 0; i < x.length; i++) {
      BigDecimal xi = new BigDecimal(x[i]);
      out[i] = new Interval(xi.subtract(e).max(BigDecimal.ZERO), xi.add(e).min(BigDecimal.ONE));
    }
    return out;
  }

  /**
   * Asserts that the computed box (flattened centre and radius of one example) contains every
   * exact interval.
   */
  static void assertContains(double[] centre, double[] radius, Interval[] exact, String what) {
    for (int i = 0; i < exact.length; i++) {
      Interval box = Interval.ofBox(centre[i], radius[i]);
      assertTrue(box.lo().compareTo(exact[i].lo()) <= 0 && box.hi().compareTo(exact[i].hi()) >= 0,
          what + ", unit " + i + ": computed [" + box.lo().round(new MathContext(20)) + ", "
              + box.hi().round(new MathContext(20)) + "] misses exact ["
              + exact[i].lo().round(new MathContext(20)) + ", "
              + exact[i].hi().round(new MathContext(20)) + "] by "
              + exact[i].lo().subtract(box.lo()).max(box.hi().subtract(exact[i].hi()).negate())
              .round(new MathContext(3)));
    }
  }

  /** {@code w x + b} for {@code w [out, in]} row-major. */
  static Interval[] linear(Interval[] x, float[] w, float[] b) {
    int out = b.length;
    int in = x.length;
    Interval[] y = new Interval[out];
    for (int j = 0; j < out; j++) {
      BigDecimal lo = new BigDecimal(b[j]);
      BigDecimal hi = lo;
      for (int i = 0; i < in; i++) {
        Interval t = times(x[i], new BigDecimal(w[j * in + i]));
        lo = lo.add(t.lo());
        hi = hi.add(t.hi());
      }
      y[j] = new Interval(lo, hi);
    }
    return y;
  }

  /**
   * A 2-D convolution of one {@code [channels, height, width]} input with kernels
   * {@code [out, channels, k, k]}, zero padding and the given stride.
   */
  static Interval[] conv2d(Interval[] x, int channels, int height, int width, float[] w,
      float[] b, int k, int stride, int padding) {
    int out = b.length;
    int outH = (height + 2 * padding - k) / stride + 1;
    int outW = (width + 2 * padding - k) / stride + 1;
    Interval[] y = new Interval[out * outH * outW];
    for (int o = 0; o < out; o++) {
      for (int p = 0; p < outH; p++) {
        for (int q = 0; q < outW; q++) {
          BigDecimal lo = new BigDecimal(b[o]);
          BigDecimal hi = lo;
          for (int c = 0; c < channels; c++) {
            for (int u = 0; u < k; u++) {
              for (int v = 0; v < k; v++) {
                int row = p * stride - padding + u;
                int col = q * stride - padding + v;
                if (row < 0 || row >= height || col < 0 || col >= width) {
                  continue;
                }
                Interval t = times(x[(c * height + row) * width + col],
                    new BigDecimal(w[((o * channels + c) * k + u) * k + v]));
                lo = lo.add(t.lo());
                hi = hi.add(t.hi());
              }
            }
          }
          y[(o * outH + p) * outW + q] = new Interval(lo, hi);
        }
      }
    }
    return y;
  }

  /** {@code max(x, 0)}. */
  static Interval[] relu(Interval[] x) {
    Interval[] y = new Interval[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = new Interval(x[i].lo().max(BigDecimal.ZERO), x[i].hi().max(BigDecimal.ZERO));
    }
    return y;
  }

  /** {@code (x - mean[c]) / std[c]} with {@code spatial} units per channel; {@code std > 0}. */
  static Interval[] normalize(Interval[] x, int spatial, float[] mean, float[] std) {
    Interval[] y = new Interval[x.length];
    for (int i = 0; i < x.length; i++) {
      int c = i / spatial;
      BigDecimal m = new BigDecimal(mean[c]);
      BigDecimal s = new BigDecimal(std[c]);
      y[i] = new Interval(x[i].lo().subtract(m).divide(s, DOWN),
          x[i].hi().subtract(m).divide(s, UP));
    }
    return y;
  }

  /**
   * BatchNorm with fixed statistics, {@code gamma (x - mean) / sqrt(var + eps) + beta}, with
   * {@code eps} the float32 value the layer holds.
   */
  static Interval[] batchNorm(Interval[] x, int spatial, float[] gamma, float[] beta,
      float[] mean, float[] variance, float eps) {
    Interval[] y = new Interval[x.length];
    for (int i = 0; i < x.length; i++) {
      int c = i / spatial;
      Interval scale = scale(gamma[c], variance[c], eps);
      BigDecimal m = new BigDecimal(mean[c]);
      Interval centred = new Interval(x[i].lo().subtract(m), x[i].hi().subtract(m));
      Interval product = times(centred, scale);
      BigDecimal shift = new BigDecimal(beta[c]);
      y[i] = new Interval(product.lo().add(shift), product.hi().add(shift));
    }
    return y;
  }

  /** An enclosure of {@code gamma / sqrt(var + eps)}. */
  static Interval scale(float gamma, float variance, float eps) {
    BigDecimal sum = new BigDecimal(variance).add(new BigDecimal(eps));
    if (sum.signum() <= 0) {
      throw new IllegalArgumentException("var + eps must be positive, got " + sum);
    }
    BigDecimal root = sum.sqrt(DIGITS);
    // |root - sqrt(sum)| <= one unit in the 80th digit, well inside 1e-78 relative.
    BigDecimal slack = root.movePointLeft(78);
    BigDecimal rootLo = root.subtract(slack);
    BigDecimal rootHi = root.add(slack);
    assertTrue(rootLo.multiply(rootLo).compareTo(sum) <= 0
        && rootHi.multiply(rootHi).compareTo(sum) >= 0, "square root bracket");
    BigDecimal g = new BigDecimal(gamma);
    if (g.signum() >= 0) {
      return new Interval(g.divide(rootHi, DOWN), g.divide(rootLo, UP));
    }
    return new Interval(g.divide(rootLo, DOWN), g.divide(rootHi, UP));
  }

  /** Lower bound of {@code y_t - y_k} over the box for the margin rows of a last Linear layer. */
  static BigDecimal[] marginLower(Interval[] x, float[] w, float[] b, int target) {
    int classes = b.length;
    int in = x.length;
    BigDecimal[] out = new BigDecimal[classes];
    for (int k = 0; k < classes; k++) {
      BigDecimal lo = new BigDecimal(b[target]).subtract(new BigDecimal(b[k]));
      for (int i = 0; i < in; i++) {
        BigDecimal d = new BigDecimal(w[target * in + i]).subtract(new BigDecimal(w[k * in + i]));
        lo = lo.add(times(x[i], d).lo());
      }
      out[k] = lo;
    }
    return out;
  }

  /** Lower bounds of {@code C y + d} over the box {@code y}, for {@code C [S][K]}, {@code d [S]}. */
  static BigDecimal[] constraintLower(Interval[] y, BigDecimal[][] c, BigDecimal[] d) {
    BigDecimal[] out = new BigDecimal[c.length];
    for (int s = 0; s < c.length; s++) {
      BigDecimal lo = d[s];
      for (int k = 0; k < y.length; k++) {
        lo = lo.add(times(y[k], c[s][k]).lo());
      }
      out[s] = lo;
    }
    return out;
  }

  /** The product {@code C W} of {@code C [S][K]} and a row-major float {@code W [K, in]}. */
  static BigDecimal[][] product(BigDecimal[][] c, float[] w, int in) {
    BigDecimal[][] out = new BigDecimal[c.length][in];
    for (int s = 0; s < c.length; s++) {
      for (int i = 0; i < in; i++) {
        BigDecimal sum = BigDecimal.ZERO;
        for (int k = 0; k < c[s].length; k++) {
          sum = sum.add(c[s][k].multiply(new BigDecimal(w[k * in + i])));
        }
        out[s][i] = sum;
      }
    }
    return out;
  }

  /** Average pooling of {@code [channels, size, size]} with zero padding counted. */
  static Interval[] avgPool(Interval[] x, int channels, int size, int k, int stride,
      int padding) {
    int out = (size + 2 * padding - k) / stride + 1;
    Interval[] y = new Interval[channels * out * out];
    BigDecimal divisor = BigDecimal.valueOf((long) k * k);
    for (int c = 0; c < channels; c++) {
      for (int p = 0; p < out; p++) {
        for (int q = 0; q < out; q++) {
          BigDecimal lo = BigDecimal.ZERO;
          BigDecimal hi = BigDecimal.ZERO;
          for (int u = 0; u < k; u++) {
            for (int v = 0; v < k; v++) {
              int row = p * stride - padding + u;
              int col = q * stride - padding + v;
              if (row >= 0 && row < size && col >= 0 && col < size) {
                lo = lo.add(x[(c * size + row) * size + col].lo());
                hi = hi.add(x[(c * size + row) * size + col].hi());
              }
            }
          }
          y[(c * out + p) * out + q] = new Interval(lo.divide(divisor, DOWN),
              hi.divide(divisor, UP));
        }
      }
    }
    return y;
  }

  /** Max pooling of {@code [channels, size, size]}; padded positions never win. */
  static Interval[] maxPool(Interval[] x, int channels, int size, int k, int stride,
      int padding) {
    int out = (size + 2 * padding - k) / stride + 1;
    Interval[] y = new Interval[channels * out * out];
    for (int c = 0; c < channels; c++) {
      for (int p = 0; p < out; p++) {
        for (int q = 0; q < out; q++) {
          BigDecimal lo = null;
          BigDecimal hi = null;
          for (int u = 0; u < k; u++) {
            for (int v = 0; v < k; v++) {
              int row = p * stride - padding + u;
              int col = q * stride - padding + v;
              if (row >= 0 && row < size && col >= 0 && col < size) {
                Interval e = x[(c * size + row) * size + col];
                lo = lo == null ? e.lo() : lo.max(e.lo());
                hi = hi == null ? e.hi() : hi.max(e.hi());
              }
            }
          }
          y[(c * out + p) * out + q] = new Interval(lo, hi);
        }
      }
    }
    return y;
  }

  /** An outer enclosure of the image of an increasing function, from its value at each end. */
  static Interval[] increasing(Interval[] x, java.util.function.UnaryOperator<BigDecimal> f) {
    Interval[] y = new Interval[x.length];
    for (int i = 0; i < x.length; i++) {
      BigDecimal lo = f.apply(x[i].lo());
      BigDecimal hi = f.apply(x[i].hi());
      // The values carry a relative error below 1e-90: widen by 1e-80 of their size.
      y[i] = new Interval(lo.subtract(lo.abs().movePointLeft(80)),
          hi.add(hi.abs().movePointLeft(80)));
    }
    return y;
  }

  /** {@code 1 / (1 + exp(-x))} to about 110 digits. */
  static BigDecimal sigmoid(BigDecimal x) {
    return BigDecimal.ONE.divide(BigDecimal.ONE.add(exp(x.negate())), WIDE);
  }

  /** {@code (exp(2x) - 1) / (exp(2x) + 1)} to about 110 digits (exact 0 at 0). */
  static BigDecimal tanh(BigDecimal x) {
    BigDecimal e = exp(x.multiply(BigDecimal.valueOf(2)));
    return e.subtract(BigDecimal.ONE).divide(e.add(BigDecimal.ONE), WIDE);
  }

  private static final MathContext WIDE = new MathContext(120, RoundingMode.HALF_EVEN);

  /**
   * {@code exp(x)} as {@code exp(x / 2^m)^(2^m)} with {@code |x / 2^m| <= 1/2} and a Taylor
   * series to 1e-120: relative error far below 1e-90 for {@code |x| < 1000}.
   */
  static BigDecimal exp(BigDecimal x) {
    BigDecimal half = new BigDecimal("0.5");
    BigDecimal y = x;
    int m = 0;
    while (y.abs().compareTo(half) > 0) {
      y = y.divide(BigDecimal.valueOf(2), WIDE);
      m++;
    }
    BigDecimal sum = BigDecimal.ONE;
    BigDecimal term = BigDecimal.ONE;
    BigDecimal tiny = BigDecimal.ONE.movePointLeft(125);
    for (int k = 1; term.abs().compareTo(tiny) > 0; k++) {
      term = term.multiply(y, WIDE).divide(BigDecimal.valueOf(k), WIDE);
      sum = sum.add(term, WIDE);
    }
    for (int i = 0; i < m; i++) {
      sum = sum.multiply(sum, WIDE);
    }
    return sum;
  }

  private static Interval times(Interval x, BigDecimal w) {
    BigDecimal a = x.lo().multiply(w);
    BigDecimal b = x.hi().multiply(w);
    return a.compareTo(b) <= 0 ? new Interval(a, b) : new Interval(b, a);
  }

  private static Interval times(Interval x, Interval s) {
    BigDecimal[] p = {x.lo().multiply(s.lo()), x.lo().multiply(s.hi()), x.hi().multiply(s.lo()),
        x.hi().multiply(s.hi())};
    BigDecimal lo = p[0];
    BigDecimal hi = p[0];
    for (BigDecimal v : p) {
      lo = lo.min(v);
      hi = hi.max(v);
    }
    return new Interval(lo, hi);
  }
}
