package org.certkit.reference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.certkit.io.onnx.OnnxImporter;
import org.certkit.net.Network;

/**
 * The networks and bounds of {@code src/test/resources/reference}: exported from PyTorch, with the
 * IBP, CROWN and alpha-CROWN bounds auto_LiRPA 0.5 computed for them (float32, not rounded
 * outward) on 8 MNIST-shaped inputs at eps 0.1. An oracle computed outside certkit.
 */
public final class ReferenceBounds {

  private static final JsonNode ROOT = read();

  private ReferenceBounds() {}

  private static JsonNode read() {
    try (InputStream in = ReferenceBounds.class.getResourceAsStream(
        "/reference/reference_bounds.json")) {
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The perturbation radius of every box. */
  public static double eps() {
    return ROOT.get("eps").asDouble();
  }

  /** The 8 inputs {@code [8, 1, 28, 28]}, float32. */
  public static NDArray inputs(NDManager manager) {
    return manager.create(flatten(ROOT.get("input")), new Shape(8, 1, 28, 28));
  }

  /** The network {@code model} ({@code fc}, {@code cnn3} or {@code cnn7}). */
  public static Network network(String model, NDManager manager) throws IOException {
    try {
      Path file = Path.of(ReferenceBounds.class.getResource("/reference/" + model + ".onnx")
          .toURI());
      return OnnxImporter.read(file, manager);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A matrix or vector of {@code model}'s entry {@code path} ("crown_logit_bounds/lower"). */
  public static double[][] matrix(String model, String path) {
    JsonNode node = ROOT.get("models").get(model);
    for (String part : path.split("/")) {
      node = node.get(part);
    }
    double[][] out = new double[node.size()][];
    for (int i = 0; i < node.size(); i++) {
      out[i] = new double[node.get(i).size()];
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = node.get(i).get(j).asDouble();
      }
    }
    return out;
  }

  /** The labels the margins of {@code model} were taken for, int64 {@code [8]}. */
  public static NDArray marginLabels(String model, NDManager manager) {
    JsonNode node = ROOT.get("models").get(model).get("margin_labels");
    long[] labels = new long[node.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = node.get(i).asLong();
    }
    return manager.create(labels).toType(DataType.INT64, false);
  }

  private static float[] flatten(JsonNode node) {
    java.util.List<Float> values = new java.util.ArrayList<>();
    collect(node, values);
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  private static void collect(JsonNode node, java.util.List<Float> values) {
    if (node.isArray()) {
      for (JsonNode child : node) {
        collect(child, values);
      }
    } else {
      values.add((float) node.asDouble());
    }
  }
}
