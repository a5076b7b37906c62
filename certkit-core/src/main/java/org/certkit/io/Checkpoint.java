package org.certkit.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.certkit.net.Add;
import org.certkit.net.AvgPool;
import org.certkit.net.BatchNorm;
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

/**
 * A certkit checkpoint file: a network (layer structure and every array, bit for bit), plus
 * optional extra arrays (optimiser state) and a JSON section (training state, provenance).
 *
 * <p>Format: the 8 bytes {@code CERTKIT1}, a 4-byte big-endian length, that many bytes of UTF-8
 * JSON (layers, array names, extra metadata), then the arrays in DJL's {@link NDList} encoding.
 * Files are written to a temporary sibling and renamed into place, so a crash never leaves a
 * half-written checkpoint.
 *
 * @param network the restored network, owning its arrays
 * @param extraArrays arrays other than the network's state, by name
 * @param metadata the JSON given at save time ({@code null} when none)
 */
public record Checkpoint(Network network, Map<String, NDArray> extraArrays, JsonNode metadata) {

  private static final byte[] MAGIC = "CERTKIT1".getBytes(StandardCharsets.US_ASCII);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Writes {@code network}, {@code extraArrays} and {@code metadata} to {@code file} atomically.
   *
   * @param extraArrays arrays such as optimiser moments, by unique name; may be empty
   * @param metadata any JSON, or null
   */
  public static void save(Path file, Network network, Map<String, NDArray> extraArrays,
      JsonNode metadata) throws IOException {
    ObjectNode header = JSON.createObjectNode();
    header.put("format", 1);
    header.put("architecture", network.architecture());
    ArrayNode shape = header.putArray("inputShape");
    for (long d : network.inputShape().getShape()) {
      shape.add(d);
    }
    ArrayNode layers = header.putArray("layers");
    boolean chain = network.isChain();
    for (int i = 0; i < network.layers().size(); i++) {
      ObjectNode node = describe(network.layers().get(i));
      if (!chain) {
        ArrayNode inputs = node.putArray("inputs");
        for (int j : network.inputs(i)) {
          inputs.add(j);
        }
      }
      layers.add(node);
    }
    Map<String, NDArray> arrays = new LinkedHashMap<>(network.state());
    for (Map.Entry<String, NDArray> e : extraArrays.entrySet()) {
      if (arrays.put(e.getKey(), e.getValue()) != null) {
        throw new IllegalArgumentException("duplicate array name " + e.getKey());
      }
    }
    ArrayNode names = header.putArray("arrays");
    NDList list = new NDList();
    for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
      names.add(e.getKey());
      list.add(e.getValue());
    }
    header.put("networkArrays", network.state().size());
    if (metadata != null) {
      header.set("metadata", metadata);
    }
    byte[] json = JSON.writeValueAsBytes(header);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(MAGIC);
      out.writeInt(json.length);
      out.write(json);
      out.write(list.encode());
    }
    AtomicFiles.write(file, bytes.toByteArray());
  }

  /**
   * Reads a checkpoint; the network's arrays (and the extra arrays) live in a new sub-manager of
   * {@code parent} owned by the returned network.
   *
   * @throws NoSuchFileException naming the file when it does not exist
   * @throws IOException naming the file and the problem when it is not a valid checkpoint
   */
  public static Checkpoint load(Path file, NDManager parent) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "checkpoint file not found");
    }
    byte[] all = Files.readAllBytes(file);
    ObjectNode header;
    NDList list;
    NDManager manager = parent.newSubManager();
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all))) {
      byte[] magic = in.readNBytes(MAGIC.length);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
        throw new IOException(file + ": not a certkit checkpoint (bad magic bytes)");
      }
      int length = in.readInt();
      if (length <= 0 || length > all.length - MAGIC.length - Integer.BYTES) {
        throw new IOException(file + ": corrupt checkpoint header length " + length);
      }
      header = (ObjectNode) JSON.readTree(in.readNBytes(length));
      list = NDList.decode(manager, (InputStream) in);
    } catch (EOFException e) {
      manager.close();
      throw new IOException(file + ": truncated checkpoint", e);
    } catch (JsonProcessingException e) {
      manager.close();
      throw new IOException(file + ": corrupt checkpoint header (" + e.getOriginalMessage() + ")",
          e);
    } catch (IOException e) {
      manager.close();
      throw e;
    } catch (RuntimeException e) {
      manager.close();
      throw new IOException(file + ": corrupt checkpoint (" + e.getMessage() + ")", e);
    }
    try {
      return restore(file, header, list, manager);
    } catch (RuntimeException e) {
      manager.close();
      throw new IOException(file + ": inconsistent checkpoint: " + e.getMessage(), e);
    }
  }

  private static Checkpoint restore(Path file, ObjectNode header, NDList list, NDManager manager)
      throws IOException {
    JsonNode names = header.get("arrays");
    if (names == null || names.size() != list.size()) {
      throw new IOException(file + ": checkpoint lists " + (names == null ? 0 : names.size())
          + " arrays but holds " + list.size());
    }
    Map<String, NDArray> arrays = new LinkedHashMap<>();
    for (int i = 0; i < list.size(); i++) {
      arrays.put(names.get(i).asText(), list.get(i));
    }
    List<Layer> layers = new ArrayList<>();
    // A graph lists every node's inputs; a chain (and every file of earlier versions) does not.
    List<int[]> inputs = new ArrayList<>();
    JsonNode layerNodes = header.get("layers");
    for (int i = 0; i < layerNodes.size(); i++) {
      layers.add(layer(layerNodes.get(i), i, arrays));
      JsonNode in = layerNodes.get(i).get("inputs");
      int[] read = new int[in == null ? 1 : in.size()];
      for (int k = 0; k < read.length; k++) {
        read[k] = in == null ? i - 1 : in.get(k).asInt();
      }
      inputs.add(read);
    }
    long[] dims = new long[header.get("inputShape").size()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = header.get("inputShape").get(i).asLong();
    }
    Network network = new Network(header.get("architecture").asText(), new Shape(dims), layers,
        inputs, manager);
    Map<String, NDArray> extra = new LinkedHashMap<>(arrays);
    extra.keySet().removeAll(network.state().keySet());
    return new Checkpoint(network, extra, header.get("metadata"));
  }

  private static ObjectNode describe(Layer layer) {
    ObjectNode node = JSON.createObjectNode();
    switch (layer) {
      case Linear l -> node.put("type", "linear");
      case Conv2d c -> node.put("type", "conv2d").put("stride", c.stride())
          .put("padding", c.padding());
      case Relu r -> node.put("type", "relu");
      case Flatten f -> node.put("type", "flatten");
      case Add a -> node.put("type", "add");
      case AvgPool p -> node.put("type", "avgpool").put("kernel", p.kernel())
          .put("stride", p.stride()).put("padding", p.padding());
      case MaxPool p -> node.put("type", "maxpool").put("kernel", p.kernel())
          .put("stride", p.stride()).put("padding", p.padding());
      case Sigmoid sg -> node.put("type", "sigmoid");
      case Tanh t -> node.put("type", "tanh");
      case BatchNorm b -> node.put("type", "batchnorm").put("epsilon", b.epsilon())
          .put("momentum", b.momentum());
      case Normalize n -> {
        node.put("type", "normalize");
        ArrayNode mean = node.putArray("mean");
        ArrayNode std = node.putArray("std");
        for (float v : n.mean()) {
          mean.add(v);
        }
        for (float v : n.std()) {
          std.add(v);
        }
      }
    }
    return node;
  }

  private static Layer layer(JsonNode node, int index, Map<String, NDArray> arrays) {
    String type = node.get("type").asText();
    return switch (type) {
      case "linear" -> new Linear(array(arrays, index, "weight"), array(arrays, index, "bias"));
      case "conv2d" -> new Conv2d(array(arrays, index, "weight"), array(arrays, index, "bias"),
          node.get("stride").asInt(), node.get("padding").asInt());
      case "relu" -> new Relu();
      case "flatten" -> new Flatten();
      case "add" -> new Add();
      case "avgpool" -> new AvgPool(node.get("kernel").asInt(), node.get("stride").asInt(),
          node.get("padding").asInt());
      case "maxpool" -> new MaxPool(node.get("kernel").asInt(), node.get("stride").asInt(),
          node.get("padding").asInt());
      case "sigmoid" -> new Sigmoid();
      case "tanh" -> new Tanh();
      case "batchnorm" -> new BatchNorm(array(arrays, index, "gamma"), array(arrays, index, "beta"),
          array(arrays, index, "running_mean"), array(arrays, index, "running_var"),
          (float) node.get("epsilon").asDouble(), (float) node.get("momentum").asDouble());
      case "normalize" -> new Normalize(floats(node.get("mean")), floats(node.get("std")));
      default -> throw new IllegalArgumentException("unknown layer type '" + type + "' at index "
          + index);
    };
  }

  private static NDArray array(Map<String, NDArray> arrays, int index, String field) {
    NDArray a = arrays.get(index + "." + field);
    if (a == null) {
      throw new IllegalArgumentException("missing array " + index + "." + field);
    }
    return a;
  }

  private static float[] floats(JsonNode node) {
    float[] out = new float[node.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) node.get(i).asDouble();
    }
    return out;
  }
}
