package org.certkit.domain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.ArrayList;
import java.util.List;
import org.certkit.internal.Constants;
import org.certkit.internal.LayerOps;
import org.certkit.net.Add;
import org.certkit.net.AvgPool;
import org.certkit.net.BatchNorm;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Conv2d;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.MaxPool;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import org.certkit.net.Relu;
import org.certkit.net.Sigmoid;
import org.certkit.net.Tanh;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;

/**
 * The zonotope domain (DeepZ, Singh et al. 2018): every node's value set is over-approximated by
 * {@code c + sum_g e_g G_g + d * e'} with shared error terms {@code e} in {@code [-1, 1]^G} and
 * one private error term {@code e'_j} in {@code [-1, 1]} per coordinate, so affine layers are
 * exact and only activations lose precision.
 *
 * <p>Affine layers map the centre by the layer and the generators by its linear part; before
 * that, the private terms become shared ones (each example's own nonzero coordinates, so a layer
 * adds as many terms as its loosest example needs). Coordinate-wise layers keep private terms
 * private: a ReLU with bounds {@code l < 0 < u} (from the zonotope's own box) becomes
 * {@code lambda x + mu + mu e_new} with {@code lambda = u / (u - l)} and
 * {@code mu = -lambda l / 2}, the area-minimal parallelogram, and {@code lambda d + mu} is the
 * new private radius; Sigmoid and Tanh use DeepZ's slope {@code min(f'(l), f'(u))}; MaxPool
 * drops to the box of its interval bounds. Shared terms get global indices, so the two inputs of
 * an {@link Add} line up; their private terms add as independent ones.
 *
 * <p>Computed in the arrays' floating-point type with rounding to nearest, so it is not sound for
 * certificates ({@link #sound()} is false); it serves COLT's latent adversarial training, which
 * needs the latent zonotope, and as a comparison domain.
 */
public final class ZonotopeDomain implements BoundDomain {

  /**
   * A batch of zonotopes {@code centre + sum_g e_g generators[:, g] + privates * e'}, with
   * {@code e} in {@code [-1, 1]^G} and {@code e'} in {@code [-1, 1]} per coordinate.
   *
   * @param centre batch-first centres {@code [N, ...]}
   * @param generators {@code [N, G, ...]}, the centre's shape after the generator axis
   * @param privates {@code [N, ...]}, at least 0: the radius of each coordinate's private term
   */
  public record Zonotope(NDArray centre, NDArray generators, NDArray privates) {

    /** Per coordinate, the radius {@code sum_g |G_g| + d} of the zonotope's bounding box. */
    public NDArray radius() {
      return generators.abs().sum(new int[] {1}).add(privates);
    }

    /** The bounding box. */
    public Box box() {
      return new Box(centre, radius());
    }

    /** The number of shared error terms {@code G}. */
    public long terms() {
      return generators.getShape().get(1);
    }

    /**
     * The point of shared terms {@code e} ({@code [N, G]}) and private terms {@code p} (the
     * centre's shape), all in {@code [-1, 1]}: {@code centre + sum_g e_g G_g + privates * p}.
     */
    public NDArray point(NDArray e, NDArray p) {
      NDArray flat = flatGenerators(generators, centre);
      NDArray offset = e.expandDims(1).toType(flat.getDataType(), false).matMul(flat)
          .squeeze(1);
      return centre.add(offset.reshape(centre.getShape())).add(privates.mul(p));
    }

    /** This zonotope with zero generators appended up to {@code total} shared terms. */
    Zonotope padTo(long total) {
      long missing = total - terms();
      if (missing == 0) {
        return this;
      }
      Shape shape = generators.getShape();
      Shape zeros = new Shape(shape.get(0), missing).addAll(shape.slice(2));
      NDManager m = generators.getManager();
      return new Zonotope(centre, generators.concat(m.zeros(zeros, generators.getDataType()),
          1), privates);
    }
  }

  /** Generators {@code [N, G, ...]} of centres {@code [N, ...]} as {@code [N, G, D]}. */
  private static NDArray flatGenerators(NDArray generators, NDArray centre) {
    long n = centre.getShape().get(0);
    return generators.reshape(n, generators.getShape().get(1), centre.getShape().size() / n);
  }

  @Override
  public boolean sound() {
    return false;
  }

  /** The input region as a zonotope: the box's radius as private terms. */
  public static Zonotope of(Box input) {
    NDArray r = input.radius();
    Shape shape = r.getShape();
    NDArray none = r.getManager().zeros(new Shape(shape.get(0), 0).addAll(shape.slice(1)),
        r.getDataType());
    return new Zonotope(input.centre(), none, r);
  }

  /**
   * The zonotopes of the first {@code count} nodes of {@code network} for {@code input}.
   *
   * @param stats BatchNorm statistics (in training, recorded by a clean pass of the step)
   * @return one zonotope per node, in node order; all with the same number of shared terms
   */
  public List<Zonotope> propagate(Network network, Zonotope input, int count,
      BatchStatistics stats) {
    long[] total = {input.terms()};
    List<Zonotope> values = network.evaluate(input,
        (i, layer, inputs) -> apply(layer, i, inputs, stats, total), count);
    List<Zonotope> aligned = new ArrayList<>(values.size());
    for (Zonotope z : values) {
      aligned.add(z.padTo(total[0]));
    }
    return aligned;
  }

  private static Zonotope apply(Layer layer, int index, List<Zonotope> inputs,
      BatchStatistics stats, long[] total) {
    Zonotope z = inputs.getFirst();
    NDArray c = z.centre();
    NDArray g = z.generators();
    NDArray d = z.privates();
    return switch (layer) {
      case Linear l -> {
        Zonotope s = shared(z, total);
        yield new Zonotope(LayerOps.linear(c, l.weight(), l.bias()),
            LayerOps.perSlice(s.generators(), x -> LayerOps.linear(x, l.weight(), null)),
            zerosLike(c, LayerOps.linear(c, l.weight(), null)));
      }
      case Conv2d cv -> {
        Zonotope s = shared(z, total);
        NDArray centre = LayerOps.conv2d(c, cv.weight(), cv.bias(), cv.stride(), cv.padding());
        yield new Zonotope(centre, LayerOps.perSlice(s.generators(),
            x -> LayerOps.conv2d(x, cv.weight(), null, cv.stride(), cv.padding())),
            centre.zerosLike());
      }
      case AvgPool p -> {
        Zonotope s = shared(z, total);
        NDArray centre = LayerOps.avgPool(c, p);
        yield new Zonotope(centre, LayerOps.perSlice(s.generators(),
            x -> LayerOps.avgPool(x, p)), centre.zerosLike());
      }
      case Flatten f -> new Zonotope(c.reshape(c.getShape().get(0), -1),
          flatGenerators(g, c), d.reshape(d.getShape().get(0), -1));
      case Normalize n -> {
        NDArray std = LayerOps.perChannel(n.std(), c);
        yield new Zonotope(c.sub(LayerOps.perChannel(n.mean(), c)).div(std),
            g.div(std.expandDims(1)), d.div(std));
      }
      case BatchNorm b -> {
        BatchNorm.Affine affine = b.affine(stats.recordedOrRunning(index, b), c);
        yield new Zonotope(affine.apply(c), g.mul(affine.scale().expandDims(1)),
            d.mul(affine.scale().abs()));
      }
      case Add a -> {
        Zonotope x = z.padTo(total[0]);
        Zonotope y = ConcreteDomain.second(inputs, index).padTo(total[0]);
        yield new Zonotope(x.centre().add(y.centre()), x.generators().add(y.generators()),
            x.privates().add(y.privates()));
      }
      case Relu r -> relu(z, total);
      case Sigmoid s -> sShaped(z, total, false);
      case Tanh t -> sShaped(z, total, true);
      case MaxPool p -> {
        Box box = z.box();
        Box pooled = Box.fromBounds(LayerOps.maxPool(box.lower(), p),
            LayerOps.maxPool(box.upper(), p));
        NDArray centre = pooled.centre();
        Shape none = new Shape(centre.getShape().get(0), total[0])
            .addAll(centre.getShape().slice(1));
        yield new Zonotope(centre, c.getManager().zeros(none, c.getDataType()),
            pooled.radius());
      }
    };
  }

  /** Zeros shaped like {@code shapeOf}, in the manager of {@code like}. */
  private static NDArray zerosLike(NDArray like, NDArray shapeOf) {
    return like.getManager().zeros(shapeOf.getShape(), like.getDataType());
  }

  /** DeepZ's ReLU: exact where stable, the minimal-area parallelogram where loose. */
  private static Zonotope relu(Zonotope z, long[] total) {
    Box box = z.box();
    NDArray l = box.lower();
    NDArray u = box.upper();
    NDArray zero = Constants.scalar(l, 0);
    NDArray loose = l.lt(zero).logicalAnd(u.gt(zero)).toType(l.getDataType(), false);
    NDArray active = l.gte(zero).toType(l.getDataType(), false);
    NDArray width = u.sub(l).maximum(Constants.scalar(l, Float.MIN_NORMAL));
    NDArray lambda = u.div(width).mul(loose).add(active);
    NDArray mu = l.mul(lambda).mul(loose).mul(Constants.scalar(l, -0.5f));
    return scaled(z, total, lambda, mu, mu);
  }

  /**
   * DeepZ's Sigmoid and Tanh: slope {@code min(f'(l), f'(u))}, offset and error term closing the
   * band between {@code f} and its parallel lines at both ends.
   */
  private static Zonotope sShaped(Zonotope z, long[] total, boolean tanh) {
    Box box = z.box();
    NDArray l = box.lower();
    NDArray u = box.upper();
    NDArray fl = tanh ? l.tanh() : Activation.sigmoid(l);
    NDArray fu = tanh ? u.tanh() : Activation.sigmoid(u);
    NDArray one = Constants.scalar(l, 1);
    NDArray dl = tanh ? one.sub(fl.square()) : fl.mul(one.sub(fl));
    NDArray du = tanh ? one.sub(fu.square()) : fu.mul(one.sub(fu));
    NDArray lambda = dl.minimum(du);
    NDArray half = Constants.scalar(l, 0.5f);
    NDArray shift = fu.add(fl).sub(lambda.mul(u.add(l))).mul(half);
    NDArray mu = fu.sub(fl).sub(lambda.mul(u.sub(l))).mul(half).maximum(Constants.scalar(l, 0));
    return scaled(z, total, lambda, shift, mu);
  }

  /**
   * {@code lambda * z + shift} coordinate-wise ({@code lambda >= 0}) plus a private term of
   * radius {@code extra}: the private radius becomes {@code lambda d + extra}.
   */
  private static Zonotope scaled(Zonotope z, long[] total, NDArray lambda, NDArray shift,
      NDArray extra) {
    Zonotope aligned = z.padTo(total[0]);
    return new Zonotope(aligned.centre().mul(lambda).add(shift),
        aligned.generators().mul(lambda.expandDims(1)),
        aligned.privates().mul(lambda).add(extra));
  }

  /** {@code z} with its private terms turned into shared ones (fresh global indices). */
  private static Zonotope shared(Zonotope z, long[] total) {
    NDArray added = fresh(z.privates());
    Zonotope aligned = z.padTo(total[0]);
    total[0] += added.getShape().get(1);
    return new Zonotope(aligned.centre(), aligned.generators().concat(added, 1),
        aligned.privates().zerosLike());
  }

  /**
   * Generators {@code [N, U, ...]} holding {@code size} ({@code [N, ...]}, at least 0) at the
   * coordinates where it is positive, one coordinate each: example {@code n}'s first terms are
   * its own positive coordinates, and {@code U} is the largest count of the batch (an example
   * with fewer gets zero generators in the remaining terms).
   */
  private static NDArray fresh(NDArray size) {
    Shape shape = size.getShape();
    long n = shape.get(0);
    long dims = shape.size() / n;
    NDArray flat = size.reshape(n, dims);
    NDArray positive = flat.stopGradient().gt(Constants.scalar(flat, 0))
        .toType(DataType.FLOAT32, false);
    long count = n == 0 ? 0 : positive.sum(new int[] {1}).max().toType(DataType.INT64, false)
        .getLong();
    if (count == 0) {
      return flat.getManager().zeros(new Shape(n, 0).addAll(shape.slice(1)), size.getDataType());
    }
    // Each example's positive coordinates first (argsort of -mask), then any others.
    NDArray positions = positive.neg().argSort(1).get(":, :" + count);
    NDArray selector = positions.oneHot((int) dims).toType(size.getDataType(), false);
    return selector.mul(flat.expandDims(1)).reshape(new Shape(n, count).addAll(shape.slice(1)));
  }

  @Override
  public Box outputBounds(Network network, InputSet input, BatchStatistics stats) {
    return output(network, input, stats).box();
  }

  /** The zonotope of the network's output over {@code input}. */
  public Zonotope output(Network network, InputSet input, BatchStatistics stats) {
    return propagate(network, of(Box.of(input)), network.layers().size(), stats).getLast();
  }

  /**
   * Lower bounds of the specification's rows over the output zonotope:
   * {@code a c + b - sum_g |a G_g| - |a| d} for each row {@code a y + b}, tighter than over its
   * box.
   */
  @Override
  public NDArray lowerBounds(Network network, InputSet input, Specification spec,
      BatchStatistics stats) {
    Zonotope out = output(network, input, stats);
    NDArray c = out.centre();
    NDArray matrix;
    NDArray offset;
    switch (spec) {
      case Specification.Margins margins -> {
        int classes = (int) c.getShape().get(1);
        long n = c.getShape().get(0);
        NDArray label = margins.labels().oneHot(classes).toType(c.getDataType(), false)
            .expandDims(1);
        NDArray eye = c.getManager().eye(classes, classes, 0, c.getDataType()).expandDims(0);
        // Row k: y_t - y_k.
        matrix = label.sub(eye).broadcast(new Shape(n, classes, classes));
        offset = c.getManager().zeros(new Shape(n, classes), c.getDataType());
      }
      case Specification.LinearConstraints constraints -> {
        matrix = constraints.matrix().toType(c.getDataType(), false);
        offset = constraints.offset().toType(c.getDataType(), false);
      }
    }
    NDArray centreTerm = matrix.matMul(c.expandDims(2)).squeeze(2).add(offset);
    NDArray spread = out.generators().matMul(matrix.transpose(0, 2, 1)).abs()
        .sum(new int[] {1}).add(matrix.abs().matMul(out.privates().expandDims(2)).squeeze(2));
    return centreTerm.sub(spread);
  }
}
