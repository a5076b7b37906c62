package org.certkit.domain;

import ai.djl.ndarray.NDArray;
import org.certkit.internal.Constants;
import org.certkit.spec.InputSet;

/**
 * An axis-aligned box in centre-radius form: every coordinate lies in
 * {@code [centre - radius, centre + radius]}.
 *
 * @param centre batch-first centre, any shape
 * @param radius same shape, non-negative
 */
public record Box(NDArray centre, NDArray radius) {

  /** The box {@code [lower, upper]}. */
  public static Box fromBounds(NDArray lower, NDArray upper) {
    NDArray two = Constants.scalar(lower, 2);
    return new Box(lower.add(upper).divi(two), upper.sub(lower).divi(two));
  }

  /** The smallest box holding {@code set}: for every kind of set, the set itself. */
  public static Box of(InputSet set) {
    return fromBounds(set.lower(), set.upper());
  }

  /**
   * The L-infinity ball of radius {@code eps} around {@code x}, intersected with the pixel range
   * [0, 1] ({@link InputSet.LinfBall#pixels}).
   *
   * @param x inputs in [0, 1], any batch-first shape
   * @param eps radius in [0, 1] pixel space, at least 0
   */
  public static Box linfBall(NDArray x, double eps) {
    return of(InputSet.LinfBall.pixels(x, eps));
  }

  /** {@code centre - radius}. */
  public NDArray lower() {
    return centre.sub(radius);
  }

  /** {@code centre + radius}. */
  public NDArray upper() {
    return centre.add(radius);
  }
}
