package org.certkit.io.onnx;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One protobuf message being written field by field with {@link CodedOutputStream}; embedded
 * messages are written to their own writer first, since the wire format prefixes their length.
 */
final class ProtoWriter {

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final CodedOutputStream out = CodedOutputStream.newInstance(bytes);

  /** One write to the in-memory stream, which cannot fail. */
  private interface Write {
    void run() throws IOException;
  }

  private ProtoWriter write(Write write) {
    try {
      write.run();
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory failed", e);
    }
    return this;
  }

  ProtoWriter varint(int field, long value) {
    return write(() -> out.writeInt64(field, value));
  }

  /** A repeated int64 field, one tag per value (the unpacked form). */
  ProtoWriter varints(int field, long... values) {
    for (long v : values) {
      varint(field, v);
    }
    return this;
  }

  ProtoWriter float32(int field, float value) {
    return write(() -> out.writeFloat(field, value));
  }

  ProtoWriter string(int field, String value) {
    return write(() -> out.writeString(field, value));
  }

  ProtoWriter bytes(int field, byte[] value) {
    return write(() -> out.writeByteArray(field, value));
  }

  ProtoWriter message(int field, ProtoWriter message) {
    return bytes(field, message.toByteArray());
  }

  byte[] toByteArray() {
    write(out::flush);
    return bytes.toByteArray();
  }
}
