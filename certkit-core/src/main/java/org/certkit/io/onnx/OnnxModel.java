package org.certkit.io.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX {@code ModelProto} that certkit reads, decoded from the protobuf wire
 * format with {@link CodedInputStream}; every other field is skipped.
 *
 * @param producerName the tool that wrote the file, such as {@code pytorch} or {@code certkit}
 * @param opset the version of the default ({@code ai.onnx}) operator set, 0 when none is declared
 * @param graph the computation
 */
record OnnxModel(String producerName, long opset, Graph graph) {

  /** {@code TensorProto.DataType} FLOAT. */
  static final int FLOAT = 1;
  /** {@code TensorProto.DataType} INT64. */
  static final int INT64 = 7;
  /** {@code TensorProto.DataType} DOUBLE. */
  static final int DOUBLE = 11;

  /** A {@code GraphProto}: nodes in topological order, constants, declared inputs and outputs. */
  record Graph(String name, List<Node> nodes, List<Tensor> initializers, List<ValueInfo> inputs,
      List<ValueInfo> outputs) {}

  /** A {@code NodeProto}; empty input names stand for omitted optional inputs. */
  record Node(String name, String opType, List<String> inputs, List<String> outputs,
      Map<String, Attribute> attributes) {}

  /**
   * An {@code AttributeProto}; only the field its {@code type} names is meaningful.
   *
   * @param type {@code AttributeProto.AttributeType}: 1 float, 2 int, 3 string, 4 tensor, 6 floats,
   *     7 ints
   */
  record Attribute(String name, int type, float f, long i, String s, Tensor t, float[] floats,
      long[] ints) {}

  /**
   * A {@code ValueInfoProto} of a tensor.
   *
   * @param dims the declared shape, -1 for a symbolic or unknown dimension; null without a shape
   */
  record ValueInfo(String name, long[] dims) {}

  /**
   * A {@code TensorProto} with its values as little-endian bytes, whichever field held them.
   *
   * @param dataType {@code TensorProto.DataType}; the values are decoded for FLOAT, DOUBLE, INT64
   * @param data little-endian values, {@code count() * 4 or 8} bytes for the decoded types
   */
  record Tensor(String name, long[] dims, int dataType, byte[] data) {

    /** Number of elements. */
    long count() {
      long n = 1;
      for (long d : dims) {
        n = Math.multiplyExact(n, d);
      }
      return n;
    }

    boolean isFloatingPoint() {
      return dataType == FLOAT || dataType == DOUBLE;
    }

    /** The values as doubles (exact for float32 and float64). */
    double[] doubles() {
      ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
      double[] out = new double[(int) count()];
      switch (dataType) {
        case FLOAT -> {
          for (int k = 0; k < out.length; k++) {
            out[k] = b.getFloat();
          }
        }
        case DOUBLE -> b.asDoubleBuffer().get(out);
        case INT64 -> {
          for (int k = 0; k < out.length; k++) {
            out[k] = b.getLong();
          }
        }
        default -> throw new IllegalStateException("undecoded data type " + dataType);
      }
      return out;
    }

    /** The values of a float32 tensor. */
    float[] floats() {
      float[] out = new float[(int) count()];
      ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
      return out;
    }

    /** The values of an int64 tensor. */
    long[] longs() {
      long[] out = new long[(int) count()];
      ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
      return out;
    }

    /** The same values with the two axes of this rank-2 tensor swapped. */
    Tensor transposed() {
      int rows = (int) dims[0];
      int cols = (int) dims[1];
      int width = data.length / (rows * cols);
      byte[] out = new byte[data.length];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          System.arraycopy(data, (r * cols + c) * width, out, (c * rows + r) * width, width);
        }
      }
      return new Tensor(name, new long[] {cols, rows}, dataType, out);
    }

    /**
     * This tensor's values combined elementwise with {@code other}'s (of the same count, or a
     * single value) by {@code op}, rounded to this tensor's type. For one addition or product of
     * float32 values this equals float32 arithmetic: rounding first to double and then to float
     * is innocuous when the wider format has at least 2 * 24 + 2 bits.
     */
    Tensor combined(Tensor other, java.util.function.DoubleBinaryOperator op) {
      double[] a = doubles();
      double[] b = other.doubles();
      ByteBuffer out = ByteBuffer.allocate(data.length).order(ByteOrder.LITTLE_ENDIAN);
      for (int k = 0; k < a.length; k++) {
        double v = op.applyAsDouble(a[k], b[b.length == 1 ? 0 : k]);
        if (dataType == FLOAT) {
          out.putFloat((float) v);
        } else {
          out.putDouble(v);
        }
      }
      return new Tensor(name, dims, dataType, out.array());
    }

    /** {@code dims} with the leading axes of length 1 removed. */
    long[] squeezedDims() {
      int first = 0;
      while (first < dims.length && dims[first] == 1) {
        first++;
      }
      return Arrays.copyOfRange(dims, first, dims.length);
    }

    /** A float32 tensor holding {@code values}. */
    static Tensor ofFloats(String name, long[] dims, float[] values) {
      ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(values);
      return new Tensor(name, dims, FLOAT, b.array());
    }

    /** An int64 tensor holding {@code values}. */
    static Tensor ofLongs(String name, long[] dims, long[] values) {
      ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
      b.asLongBuffer().put(values);
      return new Tensor(name, dims, INT64, b.array());
    }
  }

  /**
   * Decodes a serialised {@code ModelProto}.
   *
   * @throws IOException when the bytes are not a protobuf message of the expected layout
   *     (truncated, wrong wire types, tensors whose data do not match their dims) or hold no graph
   */
  static OnnxModel parse(byte[] bytes) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    String producer = "";
    long opset = 0;
    Graph graph = null;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 2 -> producer = string(in, tag);
        case 7 -> graph = message(in, tag, OnnxModel::graph);
        case 8 -> {
          long[] domainAndVersion = message(in, tag, OnnxModel::operatorSet);
          if (domainAndVersion != null) {
            opset = domainAndVersion[0];
          }
        }
        default -> in.skipField(tag);
      }
    }
    if (graph == null) {
      throw new IOException("no graph in the file (is it an ONNX model?)");
    }
    return new OnnxModel(producer, opset, graph);
  }

  /** An {@code OperatorSetIdProto}: the version when its domain is the default one, else null. */
  private static long[] operatorSet(CodedInputStream in) throws IOException {
    String domain = "";
    long version = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> domain = string(in, tag);
        case 2 -> version = varint(in, tag);
        default -> in.skipField(tag);
      }
    }
    return domain.isEmpty() || domain.equals("ai.onnx") ? new long[] {version} : null;
  }

  private static Graph graph(CodedInputStream in) throws IOException {
    String name = "";
    List<Node> nodes = new ArrayList<>();
    List<Tensor> initializers = new ArrayList<>();
    List<ValueInfo> inputs = new ArrayList<>();
    List<ValueInfo> outputs = new ArrayList<>();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> nodes.add(message(in, tag, OnnxModel::node));
        case 2 -> name = string(in, tag);
        case 5 -> initializers.add(message(in, tag, OnnxModel::tensor));
        case 11 -> inputs.add(message(in, tag, OnnxModel::valueInfo));
        case 12 -> outputs.add(message(in, tag, OnnxModel::valueInfo));
        default -> in.skipField(tag);
      }
    }
    return new Graph(name, nodes, initializers, inputs, outputs);
  }

  private static Node node(CodedInputStream in) throws IOException {
    List<String> inputs = new ArrayList<>();
    List<String> outputs = new ArrayList<>();
    String name = "";
    String opType = "";
    Map<String, Attribute> attributes = new LinkedHashMap<>();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> inputs.add(string(in, tag));
        case 2 -> outputs.add(string(in, tag));
        case 3 -> name = string(in, tag);
        case 4 -> opType = string(in, tag);
        case 5 -> {
          Attribute a = message(in, tag, OnnxModel::attribute);
          attributes.put(a.name(), a);
        }
        default -> in.skipField(tag);
      }
    }
    return new Node(name, opType, inputs, outputs, attributes);
  }

  private static Attribute attribute(CodedInputStream in) throws IOException {
    String name = "";
    int type = 0;
    float f = 0;
    long i = 0;
    String s = "";
    Tensor t = null;
    LittleEndianBytes floats = new LittleEndianBytes();
    LittleEndianBytes ints = new LittleEndianBytes();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> name = string(in, tag);
        case 2 -> f = float32(in, tag);
        case 3 -> i = varint(in, tag);
        case 4 -> s = string(in, tag);
        case 5 -> t = message(in, tag, OnnxModel::tensor);
        case 7 -> repeatedFloats(in, tag, floats);
        case 8 -> repeatedVarints(in, tag, ints);
        case 20 -> type = (int) varint(in, tag);
        default -> in.skipField(tag);
      }
    }
    float[] floatValues = new float[floats.size() / 4];
    ByteBuffer.wrap(floats.toByteArray()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
        .get(floatValues);
    long[] intValues = new long[ints.size() / 8];
    ByteBuffer.wrap(ints.toByteArray()).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer()
        .get(intValues);
    return new Attribute(name, type, f, i, s, t, floatValues, intValues);
  }

  private static Tensor tensor(CodedInputStream in) throws IOException {
    LittleEndianBytes dims = new LittleEndianBytes();
    int dataType = 0;
    String name = "";
    byte[] raw = null;
    LittleEndianBytes floatData = new LittleEndianBytes();
    LittleEndianBytes int64Data = new LittleEndianBytes();
    LittleEndianBytes doubleData = new LittleEndianBytes();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> repeatedVarints(in, tag, dims);
        case 2 -> dataType = (int) varint(in, tag);
        case 4 -> repeatedFloats(in, tag, floatData);
        case 7 -> repeatedVarints(in, tag, int64Data);
        case 8 -> name = string(in, tag);
        case 9 -> {
          expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
          raw = in.readByteArray();
        }
        case 10 -> repeatedDoubles(in, tag, doubleData);
        default -> in.skipField(tag);
      }
    }
    long[] shape = new long[dims.size() / 8];
    ByteBuffer.wrap(dims.toByteArray()).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(shape);
    byte[] data = raw != null ? raw : switch (dataType) {
      case FLOAT -> floatData.toByteArray();
      case INT64 -> int64Data.toByteArray();
      case DOUBLE -> doubleData.toByteArray();
      default -> new byte[0];
    };
    Tensor tensor = new Tensor(name, shape, dataType, data);
    int width = switch (dataType) {
      case FLOAT -> 4;
      case INT64, DOUBLE -> 8;
      default -> 0;
    };
    long count;
    try {
      for (long d : shape) {
        if (d < 0) {
          throw new ArithmeticException();
        }
      }
      count = tensor.count();
    } catch (ArithmeticException e) {
      throw new IOException("tensor '" + name + "' has invalid dims " + Arrays.toString(shape));
    }
    if (width > 0 && (data.length % width != 0 || count != data.length / width)) {
      throw new IOException("tensor '" + name + "' of dims " + Arrays.toString(shape) + " holds "
          + data.length / width + " values (data stored outside the file is not supported)");
    }
    return tensor;
  }

  private static ValueInfo valueInfo(CodedInputStream in) throws IOException {
    String name = "";
    long[] dims = null;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> name = string(in, tag);
        case 2 -> dims = message(in, tag, t -> nested(t, 1, // TypeProto.tensor_type
            u -> nested(u, 2, OnnxModel::shape))); // TypeProto.Tensor.shape
        default -> in.skipField(tag);
      }
    }
    return new ValueInfo(name, dims);
  }

  /** A {@code TensorShapeProto}: its dimensions, -1 for symbolic ones. */
  private static long[] shape(CodedInputStream in) throws IOException {
    List<Long> dims = new ArrayList<>();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (WireFormat.getTagFieldNumber(tag) == 1) {
        dims.add(message(in, tag, d -> {
          long value = -1;
          for (int t = d.readTag(); t != 0; t = d.readTag()) {
            if (WireFormat.getTagFieldNumber(t) == 1) {
              value = varint(d, t);
            } else {
              d.skipField(t);
            }
          }
          return value;
        }));
      } else {
        in.skipField(tag);
      }
    }
    return dims.stream().mapToLong(Long::longValue).toArray();
  }

  /** The message in field {@code field} of the current message (the last one wins), or null. */
  private static <T> T nested(CodedInputStream in, int field, Parser<T> parser)
      throws IOException {
    T value = null;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (WireFormat.getTagFieldNumber(tag) == field) {
        value = message(in, tag, parser);
      } else {
        in.skipField(tag);
      }
    }
    return value;
  }

  /** Reads one embedded message's fields. */
  private interface Parser<T> {
    T parse(CodedInputStream in) throws IOException;
  }

  private static <T> T message(CodedInputStream in, int tag, Parser<T> parser)
      throws IOException {
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    int limit = in.pushLimit(in.readRawVarint32());
    T value = parser.parse(in);
    if (in.getBytesUntilLimit() != 0) {
      throw new InvalidProtocolBufferException("the data end inside a message (truncated?)");
    }
    in.popLimit(limit);
    return value;
  }

  private static String string(CodedInputStream in, int tag) throws IOException {
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    return in.readString();
  }

  private static long varint(CodedInputStream in, int tag) throws IOException {
    expect(tag, WireFormat.WIRETYPE_VARINT);
    return in.readInt64();
  }

  private static float float32(CodedInputStream in, int tag) throws IOException {
    expect(tag, WireFormat.WIRETYPE_FIXED32);
    return in.readFloat();
  }

  /** A repeated int64 field, packed or not. */
  private static void repeatedVarints(CodedInputStream in, int tag, LittleEndianBytes out)
      throws IOException {
    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      int limit = in.pushLimit(in.readRawVarint32());
      while (in.getBytesUntilLimit() > 0) {
        out.putLong(in.readInt64());
      }
      in.popLimit(limit);
    } else {
      out.putLong(varint(in, tag));
    }
  }

  /** A repeated float field, packed or not. */
  private static void repeatedFloats(CodedInputStream in, int tag, LittleEndianBytes out)
      throws IOException {
    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      int limit = in.pushLimit(in.readRawVarint32());
      while (in.getBytesUntilLimit() > 0) {
        out.putInt(in.readRawLittleEndian32());
      }
      in.popLimit(limit);
    } else {
      expect(tag, WireFormat.WIRETYPE_FIXED32);
      out.putInt(in.readRawLittleEndian32());
    }
  }

  /** A repeated double field, packed or not. */
  private static void repeatedDoubles(CodedInputStream in, int tag, LittleEndianBytes out)
      throws IOException {
    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      int limit = in.pushLimit(in.readRawVarint32());
      while (in.getBytesUntilLimit() > 0) {
        out.putLong(in.readRawLittleEndian64());
      }
      in.popLimit(limit);
    } else {
      expect(tag, WireFormat.WIRETYPE_FIXED64);
      out.putLong(in.readRawLittleEndian64());
    }
  }

  private static void expect(int tag, int wireType) throws InvalidProtocolBufferException {
    if (WireFormat.getTagWireType(tag) != wireType) {
      throw new InvalidProtocolBufferException("field " + WireFormat.getTagFieldNumber(tag)
          + " has wire type " + WireFormat.getTagWireType(tag) + ", expected " + wireType);
    }
  }

  /** A growing buffer of little-endian 32- and 64-bit values. */
  private static final class LittleEndianBytes extends ByteArrayOutputStream {
    void putInt(int v) {
      for (int k = 0; k < 4; k++) {
        write(v >>> (8 * k));
      }
    }

    void putLong(long v) {
      for (int k = 0; k < 8; k++) {
        write((int) (v >>> (8 * k)));
      }
    }
  }
}
