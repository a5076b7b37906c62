package org.certkit.io.onnx;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A second, minimal ONNX writer for tests, independent of {@link OnnxExporter}: it builds graphs
 * in the forms PyTorch and VNN-COMP files use and the exporter never emits (MatMul + Add,
 * Reshape, Constant nodes, float64 weights, float_data and double_data, packed dims), writing
 * fields in field-number order as protobuf's generated code does.
 */
final class HandBuiltOnnx {

  private final List<byte[]> nodes = new ArrayList<>();
  private final List<byte[]> initializers = new ArrayList<>();
  private final List<byte[]> inputs = new ArrayList<>();
  private final List<byte[]> outputs = new ArrayList<>();
  private final int elemType;

  /** A graph whose input and output are float32 ({@code elemType} 1) or float64 (11). */
  HandBuiltOnnx(int elemType) {
    this.elemType = elemType;
  }

  /** A float32 graph. */
  HandBuiltOnnx() {
    this(1);
  }

  /** Declares the graph input; a dim of 0 or less is the symbolic batch axis. */
  HandBuiltOnnx input(String name, long... dims) {
    inputs.add(valueInfo(name, dims));
    return this;
  }

  HandBuiltOnnx output(String name, long... dims) {
    outputs.add(valueInfo(name, dims));
    return this;
  }

  /** A float32 initializer, in raw_data or in packed float_data. */
  HandBuiltOnnx floats(String name, long[] dims, float[] values, boolean raw) {
    initializers.add(floatTensor(name, dims, values, raw));
    return this;
  }

  /** A float64 initializer, in raw_data or in packed double_data. */
  HandBuiltOnnx doubles(String name, long[] dims, double[] values, boolean raw) {
    initializers.add(message(out -> {
      packedLongs(out, 1, dims);
      out.writeInt32(2, 11);
      out.writeString(8, name);
      if (raw) {
        byte[] bytes = new byte[8 * values.length];
        for (int k = 0; k < values.length; k++) {
          long bits = Double.doubleToRawLongBits(values[k]);
          for (int b = 0; b < 8; b++) {
            bytes[8 * k + b] = (byte) (bits >>> (8 * b));
          }
        }
        out.writeByteArray(9, bytes);
      } else {
        out.writeTag(10, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(8 * values.length);
        for (double v : values) {
          out.writeDoubleNoTag(v);
        }
      }
    }));
    return this;
  }

  /** An int64 initializer in int64_data. */
  HandBuiltOnnx longs(String name, long[] dims, long[] values) {
    initializers.add(longTensor(name, dims, values));
    return this;
  }

  /** A node; attributes are built by {@link #intAttribute} and its siblings. */
  HandBuiltOnnx node(String op, String name, List<String> in, List<String> out,
      byte[]... attributes) {
    nodes.add(message(o -> {
      for (String s : in) {
        o.writeString(1, s);
      }
      for (String s : out) {
        o.writeString(2, s);
      }
      o.writeString(3, name);
      o.writeString(4, op);
      for (byte[] a : attributes) {
        o.writeByteArray(5, a);
      }
    }));
    return this;
  }

  static byte[] intAttribute(String name, long value) {
    return message(out -> {
      out.writeString(1, name);
      out.writeInt64(3, value);
      out.writeInt32(20, 2);
    });
  }

  static byte[] floatAttribute(String name, float value) {
    return message(out -> {
      out.writeString(1, name);
      out.writeFloat(2, value);
      out.writeInt32(20, 1);
    });
  }

  static byte[] stringAttribute(String name, String value) {
    return message(out -> {
      out.writeString(1, name);
      out.writeString(4, value);
      out.writeInt32(20, 3);
    });
  }

  /** An INTS attribute, packed (the exporter writes them unpacked). */
  static byte[] intsAttribute(String name, long... values) {
    return message(out -> {
      out.writeString(1, name);
      packedLongs(out, 8, values);
      out.writeInt32(20, 7);
    });
  }

  static byte[] tensorAttribute(String name, byte[] tensor) {
    return message(out -> {
      out.writeString(1, name);
      out.writeByteArray(5, tensor);
      out.writeInt32(20, 4);
    });
  }

  static byte[] floatTensor(String name, long[] dims, float[] values, boolean raw) {
    return message(out -> {
      packedLongs(out, 1, dims);
      out.writeInt32(2, 1);
      if (!raw) {
        out.writeTag(4, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(4 * values.length);
        for (float v : values) {
          out.writeFloatNoTag(v);
        }
      }
      out.writeString(8, name);
      if (raw) {
        byte[] bytes = new byte[4 * values.length];
        for (int k = 0; k < values.length; k++) {
          int bits = Float.floatToRawIntBits(values[k]);
          for (int b = 0; b < 4; b++) {
            bytes[4 * k + b] = (byte) (bits >>> (8 * b));
          }
        }
        out.writeByteArray(9, bytes);
      }
    });
  }

  static byte[] longTensor(String name, long[] dims, long[] values) {
    return message(out -> {
      packedLongs(out, 1, dims);
      out.writeInt32(2, 7);
      packedLongs(out, 7, values);
      out.writeString(8, name);
    });
  }

  /** The serialised model, with the given default-domain opset. */
  byte[] build(long opset) {
    byte[] graph = message(out -> {
      for (byte[] n : nodes) {
        out.writeByteArray(1, n);
      }
      out.writeString(2, "hand_built");
      for (byte[] t : initializers) {
        out.writeByteArray(5, t);
      }
      for (byte[] v : inputs) {
        out.writeByteArray(11, v);
      }
      for (byte[] v : outputs) {
        out.writeByteArray(12, v);
      }
    });
    return message(out -> {
      out.writeInt64(1, 8);
      out.writeString(2, "pytorch");
      out.writeByteArray(7, graph);
      out.writeByteArray(8, message(o -> o.writeInt64(2, opset)));
    });
  }

  /** The serialised model at opset 13. */
  byte[] build() {
    return build(13);
  }

  private byte[] valueInfo(String name, long[] dims) {
    byte[] shape = message(out -> {
      for (long d : dims) {
        out.writeByteArray(1, message(o -> {
          if (d > 0) {
            o.writeInt64(1, d);
          } else {
            o.writeString(2, "batch");
          }
        }));
      }
    });
    byte[] tensorType = message(out -> {
      out.writeInt32(1, elemType);
      out.writeByteArray(2, shape);
    });
    return message(out -> {
      out.writeString(1, name);
      out.writeByteArray(2, message(o -> o.writeByteArray(1, tensorType)));
    });
  }

  private static void packedLongs(CodedOutputStream out, int field, long[] values)
      throws IOException {
    if (values.length == 0) {
      return;
    }
    int size = 0;
    for (long v : values) {
      size += CodedOutputStream.computeInt64SizeNoTag(v);
    }
    out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    out.writeUInt32NoTag(size);
    for (long v : values) {
      out.writeInt64NoTag(v);
    }
  }

  private interface Fields {
    void write(CodedOutputStream out) throws IOException;
  }

  private static byte[] message(Fields fields) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      fields.write(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
