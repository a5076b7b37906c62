package org.certkit.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.certkit.io.Json;

/**
 * A batch of network inputs read from a JSON file ({@code bounds --inputs}): an array shaped like
 * the model's input batch, {@code [N][1][28][28]} for MNIST, or an object whose {@code input}
 * field is one. Every value is a pixel in [0, 1].
 *
 * @param shape one input without the batch axis
 * @param points the inputs, each flattened in row-major order
 */
record InputsFile(Shape shape, double[][] points) {

  /**
   * Reads {@code file} for a model whose inputs have {@code expected} shape.
   *
   * @throws IllegalArgumentException naming the file when it is not valid JSON, not an array of
   *     numbers in [0, 1], or its inputs are not of {@code expected} shape
   */
  static InputsFile read(Path file, Shape expected) throws IOException {
    JsonNode root;
    try (InputStream in = Files.newInputStream(file)) {
      root = Json.MAPPER.readTree(in);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage()
          + " (line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ")");
    }
    JsonNode batch = root != null && root.isObject() ? root.get("input") : root;
    if (batch == null || !batch.isArray()) {
      throw new IllegalArgumentException(file + ": expected a JSON array of inputs, or an object"
          + " with an \"input\" field holding one");
    }
    List<Long> dims = new ArrayList<>();
    for (JsonNode node = batch; node.isArray(); node = node.get(0)) {
      dims.add((long) node.size());
      if (node.isEmpty()) {
        break;
      }
    }
    Shape found = new Shape(dims.stream().mapToLong(Long::longValue).toArray());
    Shape wanted = new Shape(LongStream.concat(LongStream.of(-1), Arrays.stream(
        expected.getShape())).toArray());
    if (found.dimension() != wanted.dimension() || found.get(0) < 1
        || !found.slice(1).equals(expected)) {
      throw new IllegalArgumentException(file + ": the model takes inputs of shape "
          + describe(wanted) + " but the file's are " + describe(found));
    }
    double[][] points = new double[(int) found.get(0)][(int) expected.size()];
    for (int i = 0; i < points.length; i++) {
      collect(file, batch.get(i), found, 1, "[" + i + "]", points[i], 0);
    }
    return new InputsFile(expected, points);
  }

  /**
   * Copies the numbers of {@code node}, found at {@code at}, depth {@code depth} of {@code shape},
   * to {@code out} from index {@code next}; returns the index after the last one copied.
   */
  private static int collect(Path file, JsonNode node, Shape shape, int depth, String at,
      double[] out, int next) {
    if (depth == shape.dimension()) {
      if (!node.isNumber()) {
        throw new IllegalArgumentException(file + ": expected a number at " + at + ", found "
            + node);
      }
      double value = node.asDouble();
      if (!(value >= 0 && value <= 1)) {
        throw new IllegalArgumentException(file + ": value " + value + " at " + at
            + " is outside [0, 1]: inputs are pixels in [0, 1] (a model normalises them itself)");
      }
      out[next] = value;
      return next + 1;
    }
    if (!node.isArray() || node.size() != shape.get(depth)) {
      throw new IllegalArgumentException(file + ": expected an array of " + shape.get(depth)
          + " at " + at + " (the inputs are " + describe(shape) + "), found "
          + (node.isArray() ? "an array of " + node.size() : node));
    }
    for (int k = 0; k < node.size(); k++) {
      next = collect(file, node.get(k), shape, depth + 1, at + "[" + k + "]", out, next);
    }
    return next;
  }

  /** Number of inputs. */
  int size() {
    return points.length;
  }

  /** Input {@code i} as a float64 batch of one, {@code [1, ...shape]}, in {@code manager}. */
  NDArray point(NDManager manager, int i) {
    return manager.create(points[i], new Shape(1).addAll(shape));
  }

  /** {@code [N, 1, 28, 28]} for the shape {@code (-1, 1, 28, 28)}. */
  private static String describe(Shape shape) {
    return Arrays.stream(shape.getShape()).mapToObj(d -> d < 0 ? "N" : Long.toString(d))
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
