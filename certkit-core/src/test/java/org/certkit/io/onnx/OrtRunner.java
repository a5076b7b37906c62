package org.certkit.io.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * Runs ONNX bytes in ONNX Runtime, an implementation independent of certkit, with graph
 * optimisations off so that it evaluates the nodes as written.
 */
final class OrtRunner {

  private OrtRunner() {}

  /** The first output of {@code model} on the float32 input {@code x} of {@code shape}. */
  static float[] run(byte[] model, float[] x, long... shape) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = options();
        OrtSession session = env.createSession(model, options);
        OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
        OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(),
            input))) {
      FloatBuffer out = ((OnnxTensor) result.get(0)).getFloatBuffer();
      float[] values = new float[out.remaining()];
      out.get(values);
      return values;
    }
  }

  /** The first output of {@code model} on the float64 input {@code x} of {@code shape}. */
  static double[] run(byte[] model, double[] x, long... shape) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = options();
        OrtSession session = env.createSession(model, options);
        OnnxTensor input = OnnxTensor.createTensor(env, DoubleBuffer.wrap(x), shape);
        OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(),
            input))) {
      DoubleBuffer out = ((OnnxTensor) result.get(0)).getDoubleBuffer();
      double[] values = new double[out.remaining()];
      out.get(values);
      return values;
    }
  }

  private static OrtSession.SessionOptions options() throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
    options.setIntraOpNumThreads(1);
    return options;
  }
}
