package org.certkit.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;

/**
 * Engine calls shared by the domains: affine maps with given weights, and the rule that every
 * result is owned by the manager of the batch, never by the network's long-lived manager.
 *
 * <p>In DJL the result of an operation belongs to the manager of its first operand. Operations
 * whose first operand is a parameter (such as {@code weight.abs()}) would therefore accumulate in
 * the network's manager on every batch; {@link #owned} moves such results to the batch's manager.
 */
public final class LayerOps {

  private LayerOps() {}

  /** Moves {@code array} to {@code manager} and returns it. */
  public static NDArray owned(NDArray array, NDManager manager) {
    array.attach(manager);
    return array;
  }

  /**
   * Per example, {@code a} where {@code take} ({@code [N]}, boolean) holds, else {@code b}
   * ({@code a} and {@code b} batch-first, same shape); owned by {@code take}'s manager.
   */
  public static NDArray perExample(NDArray take, NDArray a, NDArray b) {
    long[] shape = new long[a.getShape().dimension()];
    java.util.Arrays.fill(shape, 1);
    shape[0] = take.getShape().get(0);
    return ai.djl.ndarray.NDArrays.where(
        take.reshape(new ai.djl.ndarray.types.Shape(shape)).broadcast(a.getShape()), a, b);
  }

  /** {@code |array|}, owned by {@code manager}, in {@code like}'s data type. */
  public static NDArray abs(NDArray array, NDManager manager, NDArray like) {
    return owned(cast(array, like, manager).abs(), manager);
  }

  /** {@code array} converted to the data type of {@code like} (the same array when it already is). */
  public static NDArray cast(NDArray array, NDArray like, NDManager manager) {
    if (array.getDataType() == like.getDataType()) {
      return array;
    }
    return owned(array.toType(like.getDataType(), false), manager);
  }

  /** {@code x W^T + b} for {@code x [N, in]}; a null bias means none. */
  public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    NDManager m = x.getManager();
    return Linear.linear(x, cast(weight, x, m), bias == null ? null : cast(bias, x, m))
        .singletonOrThrow();
  }

  /** Convolution of {@code x [N, C, H, W]}; a null bias means none. */
  public static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
    NDManager m = x.getManager();
    NDArray b = bias == null ? null : cast(bias, x, m);
    return Conv2d.conv2d(channelsLast(x), cast(weight, x, m), b, new Shape(stride, stride),
        new Shape(padding, padding), new Shape(1, 1), 1).singletonOrThrow();
  }

  /**
   * Fewest input channels for which a convolution runs channels-last. Below, the copies into and
   * out of that layout (before the convolution, and where a flatten or an elementwise
   * operation meets an array of the other layout) cost more than the kernel saves: CNN3-BN's
   * 16-channel convolution made its standard step 9.9 ms channels-last and 8.2 ms without.
   */
  private static final long CHANNELS_LAST_FROM = 64;

  /**
   * {@code x [N, C, H, W]} with its values stored channel-fastest (PyTorch's channels-last
   * layout), the same logical array: float32 convolutions then run in the engine's oneDNN
   * kernels without reordering, and their outputs, with every elementwise operation after
   * them, keep that layout, so only the first convolution of a chain copies. About 15% less time
   * per convolution forward and backward on CNN7 (docs/compute.md). Other types, fewer than
   * {@link #CHANNELS_LAST_FROM} channels, or an array already in that layout come back as they
   * are.
   */
  static NDArray channelsLast(NDArray x) {
    Shape s = x.getShape();
    if (x.getDataType() != DataType.FLOAT32 || s.dimension() != 4
        || s.get(1) < CHANNELS_LAST_FROM) {
      return x;
    }
    // The permuted view is contiguous exactly when x already is channels-last: then flatten and
    // the reshapes are views, else flatten copies into channel-fastest order.
    return x.transpose(0, 2, 3, 1).flatten().reshape(s.get(0), s.get(2), s.get(3), s.get(1))
        .transpose(0, 3, 1, 2);
  }

  /**
   * The adjoint of {@link #conv2d} without bias (a transposed convolution), written with plain
   * convolutions because the engine has no transposed convolution.
   *
   * <p>Stride 1: the input padded by {@code k - 1 - padding} (plus the output padding at the
   * bottom and right) is convolved with the kernel flipped in space and with its channel axes
   * swapped. Stride {@code s > 1}: polyphase form. Output rows {@code h} with
   * {@code (h + padding) mod s = a} only meet kernel rows {@code a, a + s, a + 2s, ...}, so each of
   * the {@code s^2} phases is a full stride-1 convolution with a {@code ceil(k / s)}-tap
   * sub-kernel; one convolution computes all phases as separate output channels, which are then
   * interleaved and cropped. This avoids convolving an input dilated with {@code s - 1} zeros
   * per gap, which took several times longer (and most of an expected-bound training step on
   * {@code dm-small}). Float64 takes {@link #conv2dTransposeByProducts} instead.
   *
   * @param x {@code [N, C_out, H_out, W_out]}
   * @param weight the forward kernel {@code [C_out, C_in, k, k]}
   * @param outputPaddingH rows added at the bottom so the result has the forward input height
   * @param outputPaddingW columns added at the right, likewise
   * @return {@code [N, C_in, H_in, W_in]} with {@code H_in = (H_out - 1) stride - 2 padding + k
   *     + outputPaddingH}, owned by {@code x}'s manager
   */
  public static NDArray conv2dTranspose(NDArray x, NDArray weight, int stride, int padding,
      int outputPaddingH, int outputPaddingW) {
    if (x.getDataType() == DataType.FLOAT64) {
      return conv2dTransposeByProducts(x, weight, stride, padding, outputPaddingH,
          outputPaddingW);
    }
    NDManager m = x.getManager();
    Shape ws = weight.getShape();
    int k = (int) ws.get(2);
    if (stride == 1) {
      NDArray padded = padEnd(padEnd(x, 2, outputPaddingH), 3, outputPaddingW);
      NDArray kernel = owned(cast(weight, x, m).transpose(1, 0, 2, 3), m).flip(2, 3);
      return conv2d(padded, kernel, null, 1, k - 1 - padding);
    }
    long cOut = ws.get(0);
    long cIn = ws.get(1);
    int s = stride;
    int taps = (k + s - 1) / s;
    // Kernel zero-padded to s * taps rows and columns, then row t * s + a -> phase a, tap t.
    NDArray w = owned(cast(weight, x, m).reshape(ws), m);
    w = padEnd(padEnd(w, 2, s * taps - k), 3, s * taps - k);
    NDArray phases = w.reshape(cOut, cIn, taps, s, taps, s).transpose(3, 5, 1, 0, 2, 4)
        .reshape(s * s * cIn, cOut, taps, taps).flip(2, 3);
    NDArray full = conv2d(x, phases, null, 1, taps - 1);
    Shape fs = full.getShape();
    long n = fs.get(0);
    long u = fs.get(2);
    long v = fs.get(3);
    NDArray spread = full.reshape(n, s, s, cIn, u, v).transpose(0, 3, 4, 1, 5, 2)
        .reshape(n, cIn, u * s, v * s);
    long height = (x.getShape().get(2) - 1) * s - 2L * padding + k + outputPaddingH;
    long width = (x.getShape().get(3) - 1) * s - 2L * padding + k + outputPaddingW;
    spread = padEnd(padEnd(spread, 2, (int) (padding + height - u * s)), 3,
        (int) (padding + width - v * s));
    return spread.get(new NDIndex(":, :, {}:{}, {}:{}", padding, padding + height, padding,
        padding + width));
  }

  /**
   * {@link #conv2dTranspose} as {@code k^2} matrix products, one per kernel tap, each added in
   * place into its strided slice of the full result: for float64, whose CPU convolution works
   * image by image (the backward passes of {@code LinearBoundDomain} hand it millions of tiny
   * patch images). Input row {@code y} and tap {@code ky} meet at output row {@code y s + ky};
   * the full result is then cropped by {@code padding}.
   */
  private static NDArray conv2dTransposeByProducts(NDArray x, NDArray weight, int s,
      int padding, int outputPaddingH, int outputPaddingW) {
    NDManager m = x.getManager();
    Shape xs = x.getShape();
    Shape ws = weight.getShape();
    long n = xs.get(0);
    long h = xs.get(2);
    long w = xs.get(3);
    long cIn = ws.get(1);
    int k = (int) ws.get(2);
    NDArray kernel = cast(weight, x, m);
    NDArray rows = x.transpose(0, 2, 3, 1).reshape(n * h * w, xs.get(1));
    // Channels last, so each tap's product lands without a transpose.
    NDArray full = m.zeros(new Shape(n, (h - 1) * s + k, (w - 1) * s + k, cIn), x.getDataType());
    for (int ky = 0; ky < k; ky++) {
      for (int kx = 0; kx < k; kx++) {
        NDArray tap = owned(kernel.get(new NDIndex(":, :, {}, {}", ky, kx)), m);
        NDArray term = rows.matMul(tap).reshape(n, h, w, cIn);
        // A strided slice is a view: adding into it adds into the full result.
        NDArray slice = full.get(new NDIndex(":, {}:{}:{}, {}:{}:{}, :", ky, ky + (h - 1) * s + 1,
            s, kx, kx + (w - 1) * s + 1, s));
        slice.addi(term);
        slice.close();
        term.close();
        tap.close();
      }
    }
    rows.close();
    long height = (h - 1) * s - 2L * padding + k + outputPaddingH;
    long width = (w - 1) * s - 2L * padding + k + outputPaddingW;
    full = padEnd(padEnd(full, 1, (int) (padding + height - full.getShape().get(1))), 2,
        (int) (padding + width - full.getShape().get(2)));
    return full.get(new NDIndex(":, {}:{}, {}:{}, :", padding, padding + height, padding,
        padding + width)).transpose(0, 3, 1, 2);
  }

  /** Appends {@code count} zero slices at the end of {@code axis}. */
  private static NDArray padEnd(NDArray x, int axis, int count) {
    if (count <= 0) {
      return x;
    }
    long[] dims = x.getShape().getShape().clone();
    dims[axis] = count;
    return x.concat(x.getManager().zeros(new Shape(dims), x.getDataType()), axis);
  }

  /** Average pooling of {@code x [N, C, H, W]}, zero padding counted in the divisor. */
  public static NDArray avgPool(NDArray x, org.certkit.net.AvgPool pool) {
    return ai.djl.nn.pooling.Pool.avgPool2d(x, new Shape(pool.kernel(), pool.kernel()),
        new Shape(pool.stride(), pool.stride()), new Shape(pool.padding(), pool.padding()),
        false, true);
  }

  /** Max pooling of {@code x [N, C, H, W]}; padded positions never win. */
  public static NDArray maxPool(NDArray x, org.certkit.net.MaxPool pool) {
    return ai.djl.nn.pooling.Pool.maxPool2d(x, new Shape(pool.kernel(), pool.kernel()),
        new Shape(pool.stride(), pool.stride()), new Shape(pool.padding(), pool.padding()),
        false);
  }

  /** A per-channel constant vector shaped to broadcast against {@code like}. */
  public static NDArray perChannel(float[] values, NDArray like) {
    NDArray v = Constants.vector(values, like);
    return like.getShape().dimension() == 4
        ? v.reshape(1, values.length, 1, 1)
        : v.reshape(1, values.length);
  }

  /**
   * Applies a batch-first map to every slice {@code [n, j, ...]} of {@code stacked}
   * {@code [N, J, ...]} (the slices of a Jacobian, the generators of a zonotope) in one call.
   */
  public static NDArray perSlice(NDArray stacked, java.util.function.UnaryOperator<NDArray> f) {
    Shape shape = stacked.getShape();
    long n = shape.get(0);
    long dims = shape.get(1);
    NDArray out = f.apply(stacked.reshape(new Shape(n * dims).addAll(shape.slice(2))));
    return out.reshape(new Shape(n, dims).addAll(out.getShape().slice(1)));
  }
}
