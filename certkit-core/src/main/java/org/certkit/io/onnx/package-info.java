/**
 * ONNX models in and out: {@link org.certkit.io.onnx.OnnxImporter} reads the graphs of PyTorch
 * exports and VNN-COMP benchmarks (chains, residual blocks, branches joined by an Add) into a
 * {@link org.certkit.net.Network}, {@link org.certkit.io.onnx.OnnxExporter} writes a network as
 * ONNX. Both speak the protobuf wire format directly (protobuf-java's coded streams, no generated
 * classes); the package-private {@code OnnxModel} holds the few message fields certkit needs.
 */
package org.certkit.io.onnx;
