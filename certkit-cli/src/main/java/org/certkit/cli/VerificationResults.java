package org.certkit.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@code verify --instances} (and {@code spark verify}) answered, the typed twin of its
 * results CSV: written beside it as JSON ({@link #jsonBeside}) and read by {@code certkit report}.
 *
 * @param instanceList the benchmark list that was run
 * @param answers how many instances got each answer (sat, unsat, timeout, unknown, error)
 * @param seconds the summed time of all instances
 * @param instances one entry per line of the list, in order
 */
record VerificationResults(String instanceList, Map<String, Integer> answers, double seconds,
    List<Instance> instances) {

  /**
   * One instance's answer.
   *
   * @param onnx the model, as the list names it
   * @param vnnlib the property, as the list names it
   * @param timeout the instance's time limit in seconds
   * @param result sat, unsat, timeout, unknown or error
   * @param seconds the time it took
   * @param method what decided it (falsification, a bound method, branch and bound), or "-"
   * @param subproblems branch-and-bound subproblems bounded
   * @param detail a short explanation, possibly empty
   * @param milp the MILP cross-check of an unsat answer, or empty
   */
  record Instance(String onnx, String vnnlib, double timeout, String result, double seconds,
      String method, long subproblems, String detail, String milp) {}

  /** The JSON file that goes with the results CSV {@code csv}: the same name, {@code .json}. */
  static Path jsonBeside(Path csv) {
    String name = csv.getFileName().toString();
    String stem = name.endsWith(".csv") ? name.substring(0, name.length() - 4) : name;
    return csv.resolveSibling(stem + ".json");
  }
}
