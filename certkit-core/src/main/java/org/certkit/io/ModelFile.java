package org.certkit.io;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.certkit.io.onnx.OnnxImporter;
import org.certkit.net.InputFormat;
import org.certkit.net.Network;

/**
 * The one way to load a model file a user names: a certkit {@link Checkpoint} or an ONNX model
 * ({@link OnnxImporter}).
 *
 * <p>A file that starts with the checkpoint magic {@code CERTKIT1} is a checkpoint. Otherwise it
 * is read as ONNX when its name ends in {@code .onnx} or its first byte is {@code 0x08}, the tag of
 * {@code ModelProto.ir_version}, which ONNX writers put first.
 */
public final class ModelFile {

  private static final byte[] CHECKPOINT_MAGIC = "CERTKIT1".getBytes(StandardCharsets.US_ASCII);
  private static final int IR_VERSION_TAG = 0x08;

  private ModelFile() {}

  private enum Kind { CHECKPOINT, ONNX }

  /** The kind of {@code file}, from its first bytes and its name. */
  private static Kind kind(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "model file not found");
    }
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(CHECKPOINT_MAGIC.length);
    }
    if (Arrays.equals(head, CHECKPOINT_MAGIC)) {
      return Kind.CHECKPOINT;
    }
    boolean onnxName = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
    if (onnxName || (head.length > 0 && head[0] == IR_VERSION_TAG)) {
      return Kind.ONNX;
    }
    throw new IOException(file + ": neither a certkit checkpoint (it does not start with"
        + " CERTKIT1) nor an ONNX model (name ending in .onnx)");
  }

  /**
   * Whether {@code file} is a certkit checkpoint (it starts with {@code CERTKIT1}) rather than an
   * ONNX model, by the rule of {@link #load(Path, NDManager)}.
   *
   * @throws IOException naming the file when it is missing, or when it is neither kind
   */
  public static boolean isCheckpoint(Path file) throws IOException {
    return kind(file) == Kind.CHECKPOINT;
  }

  /**
   * Loads the network of a checkpoint or ONNX file with the input shape the file declares; its
   * arrays live in a new sub-manager of {@code parent} owned by the network.
   *
   * @throws IOException naming the file when it is missing, unreadable or corrupt
   * @throws IllegalArgumentException naming the file when an ONNX graph is not supported
   */
  public static Network load(Path file, NDManager parent) throws IOException {
    return switch (kind(file)) {
      case CHECKPOINT -> Checkpoint.load(file, parent).network();
      case ONNX -> OnnxImporter.read(file, parent);
    };
  }

  /**
   * Loads the network of a checkpoint or ONNX file for data of {@code format}, checking that it
   * consumes the format's images (an ONNX model with flat input gets a leading Flatten) and
   * produces one logit per class.
   *
   * @throws IllegalArgumentException naming the file and both shapes when they disagree
   * @see #load(Path, NDManager)
   */
  public static Network load(Path file, InputFormat format, NDManager parent) throws IOException {
    Network network = switch (kind(file)) {
      case CHECKPOINT -> Checkpoint.load(file, parent).network();
      case ONNX -> OnnxImporter.read(file, format.shape(), parent);
    };
    try {
      if (!network.inputShape().equals(format.shape())) {
        throw new IllegalArgumentException(file + ": the model takes inputs of shape "
            + describe(network.inputShape()) + " but the data's images are "
            + describe(format.shape()));
      }
      int classes;
      try {
        classes = network.numClasses();
      } catch (IllegalStateException e) {
        throw new IllegalArgumentException(file + ": the model does not end in logits: "
            + e.getMessage(), e);
      }
      if (classes != format.numClasses()) {
        throw new IllegalArgumentException(file + ": the model has " + classes
            + " outputs but the data have " + format.numClasses() + " classes");
      }
      return network;
    } catch (RuntimeException e) {
      network.close();
      throw e;
    }
  }

  /** {@code 1x28x28} for the shape {@code (1, 28, 28)}. */
  private static String describe(Shape shape) {
    return Arrays.stream(shape.getShape()).mapToObj(Long::toString)
        .collect(Collectors.joining("x"));
  }
}
