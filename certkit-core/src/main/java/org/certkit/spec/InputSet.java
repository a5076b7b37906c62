package org.certkit.spec;

import ai.djl.ndarray.NDArray;

/**
 * A set of network inputs for each example of a batch: the region a bound must hold on. Every
 * kind is a box in the end ({@link #lower()}, {@link #upper()}); the kinds say how it was given.
 */
public sealed interface InputSet {

  /** Lower corner, batch-first, in the type of the arrays the set was built from. */
  NDArray lower();

  /** Upper corner, same shape and type as {@link #lower()}. */
  NDArray upper();

  /**
   * The box {@code [lower, upper]}, as VNNLIB input constraints give it.
   *
   * @param lower batch-first lower corner
   * @param upper upper corner, same shape, nowhere below {@code lower}
   */
  record BoxRegion(NDArray lower, NDArray upper) implements InputSet {

    /** Validates shapes and order. */
    public BoxRegion {
      if (!lower.getShape().equals(upper.getShape())) {
        throw new IllegalArgumentException("box corners differ in shape: " + lower.getShape()
            + " and " + upper.getShape());
      }
      if (lower.getDataType() != upper.getDataType()) {
        throw new IllegalArgumentException("box corners differ in type: " + lower.getDataType()
            + " and " + upper.getDataType());
      }
      if (lower.gt(upper).any().getBoolean()) {
        throw new IllegalArgumentException("box lower corner above the upper corner");
      }
    }
  }

  /**
   * The L-infinity ball of radius {@code eps} around {@code centre}, intersected with the domain
   * {@code [min, max]} of every input (the pixel range [0, 1] for images).
   *
   * @param centre batch-first points, inside the domain
   * @param eps radius, at least 0
   * @param min smallest value of an input
   * @param max largest value of an input, at least {@code min}
   */
  record LinfBall(NDArray centre, double eps, double min, double max) implements InputSet {

    /** Validates the radius and the domain. */
    public LinfBall {
      if (!(eps >= 0) || Double.isInfinite(eps)) {
        throw new IllegalArgumentException("eps must be finite and >= 0, got " + eps);
      }
      if (!(min <= max)) {
        throw new IllegalArgumentException("input domain [" + min + ", " + max + "] is empty");
      }
    }

    /** The ball in [0, 1] pixel space. */
    public static LinfBall pixels(NDArray centre, double eps) {
      return new LinfBall(centre, eps, 0, 1);
    }

    @Override
    public NDArray lower() {
      return centre.sub(eps).clip(min, max);
    }

    @Override
    public NDArray upper() {
      return centre.add(eps).clip(min, max);
    }
  }
}
