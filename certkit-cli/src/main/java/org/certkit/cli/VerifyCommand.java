package org.certkit.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.certkit.certify.BranchAndBound;
import org.certkit.certify.Verdict;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.io.AtomicFiles;
import org.certkit.io.Json;
import org.certkit.io.ModelFile;
import org.certkit.io.vnnlib.VnnlibCounterexample;
import org.certkit.io.vnnlib.VnnlibProperty;
import org.certkit.io.vnnlib.VnnlibReader;
import org.certkit.milp.LinearProgramLeaf;
import org.certkit.milp.MilpPropertyCheck;
import org.certkit.net.Network;
import org.certkit.verify.PropertyVerifier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code certkit verify}: VNN-COMP-style answers for VNNLIB properties of ONNX models. */
@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Answers a VNNLIB property of a model as VNN-COMP expects: sat (with a"
        + " counterexample), unsat, timeout, unknown or error.",
        "sat: an attack found an input in the box whose outputs are in the unsafe region, and"
            + " float32 and float64 forward passes both confirm it (exact decimal check).",
        "unsat: every clause of the unsafe region is refuted by sound bounds (float64, outward"
            + " rounding): CROWN, alpha-CROWN, then branch and bound on ReLU splits.",
        "With --instances CSV (lines: onnx, vnnlib, timeout; paths relative to the file) every"
            + " instance runs in turn and a results CSV and a summary table are written."})
final class VerifyCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ProgressOptions progress;

  @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
      description = "The model: ONNX (.onnx) or a certkit checkpoint.")
  Path modelFile;

  @Parameters(index = "1", arity = "0..1", paramLabel = "PROPERTY",
      description = "The VNNLIB property (.vnnlib).")
  Path propertyFile;

  @Option(names = "--timeout", description = "Seconds for one instance (default: ${DEFAULT-VALUE}).")
  double timeout = 300;

  @Option(names = "--result", paramLabel = "FILE",
      description = "Also write the answer in VNN-COMP's result format to FILE.")
  Path resultFile;

  @Option(names = "--overwrite",
      description = "Let --result and --results replace an existing file.")
  boolean overwrite;

  @Option(names = "--instances", paramLabel = "CSV",
      description = "Run every instance of a benchmark's list instead of one property.")
  Path instances;

  @Option(names = "--results", paramLabel = "CSV",
      description = "With --instances: where the per-instance results go (default: results.csv"
          + " beside the instances file).")
  Path results;

  @Option(names = "--resume",
      description = "With --instances: keep the answers the results file already holds (a run"
          + " that was stopped) and answer only the instances after them.")
  boolean resume;

  @Option(names = "--no-bab", description = "Stop after alpha-CROWN (no branch and bound).")
  boolean noBab;

  @Option(names = "--bab-batch", paramLabel = "N",
      description = "Subproblems bounded together in branch and bound (default:"
          + " ${DEFAULT-VALUE}).")
  int babBatch = BranchAndBound.STANDARD_BATCH;

  @Option(names = "--bab-iterations", paramLabel = "K",
      description = "Adam steps on each subproblem's slopes and multipliers, starting from its"
          + " parent's (default: ${DEFAULT-VALUE}).")
  int babIterations = BranchAndBound.STANDARD_ITERATIONS;

  @Option(names = "--cross-check", paramLabel = "SECONDS",
      description = "Check every unsat answer by mixed-integer programming (SCIP, CROWN big-M"
          + " constants), SECONDS per solve: refuted (agrees), violated (a solver point in the"
          + " unsafe region: contradicts) or open. A second opinion within the solver's"
          + " tolerances, not a proof; for small networks.")
  Double crossCheck;

  @Override
  public Integer call() throws Exception {
    if (crossCheck != null && !(crossCheck > 0)) {
      throw new ParameterException(spec.commandLine(), "--cross-check must be positive, got "
          + crossCheck);
    }
    if (!(timeout > 0)) {
      throw new ParameterException(spec.commandLine(), "--timeout must be positive, got "
          + timeout);
    }
    if (babBatch < 2 || babIterations < 1) {
      throw new ParameterException(spec.commandLine(), "--bab-batch must be at least 2 and"
          + " --bab-iterations at least 1, got " + babBatch + " and " + babIterations);
    }
    PropertyVerifier standard = PropertyVerifier.standard();
    PropertyVerifier verifier = new PropertyVerifier(standard.attack(), standard.slopes(),
        noBab ? null : BranchAndBound.of(babBatch, babIterations,
            LinearBoundDomain.SoundArithmetic.FLOAT64).withLeaf(new LinearProgramLeaf()),
        noBab ? null : standard.inputs());
    if (instances != null) {
      if (modelFile != null || propertyFile != null) {
        throw new ParameterException(spec.commandLine(),
            "give either MODEL PROPERTY or --instances, not both");
      }
      return runList(verifier);
    }
    if (modelFile == null || propertyFile == null) {
      throw new ParameterException(spec.commandLine(), "need MODEL and PROPERTY (or --instances)");
    }
    if (resultFile != null && Files.exists(resultFile) && !overwrite) {
      throw new ParameterException(spec.commandLine(), resultFile + " exists; pass --overwrite"
          + " or another --result");
    }
    Answer answer = answer(verifier, modelFile, propertyFile, timeout, !progress.quiet,
        crossCheck);
    System.out.println(answer.word());
    if (answer.counterexample() != null) {
      System.out.print(answer.counterexample().substring("sat\n".length()));
    }
    System.err.printf(Locale.ROOT, "%s by %s in %.1f s (%d subproblems)%s%s%n", answer.word(),
        answer.method(), answer.seconds(), answer.subproblems(),
        answer.detail().isEmpty() ? "" : ": " + answer.detail(),
        answer.check() == null ? "" : "; MILP cross-check: " + answer.checkText());
    if (resultFile != null) {
      String text = answer.counterexample() != null ? answer.counterexample()
          : answer.word() + "\n";
      write(resultFile, text);
    }
    return 0;
  }

  /**
   * One instance's answer, as the result file and the results table give it; {@code check} is
   * the MILP cross-check of an unsat answer (null when not run).
   */
  record Answer(String word, String method, double seconds, long subproblems,
      String detail, String counterexample, MilpPropertyCheck.Outcome check)
      implements java.io.Serializable {
    Answer(String word, String method, double seconds, long subproblems, String detail,
        String counterexample) {
      this(word, method, seconds, subproblems, detail, counterexample, null);
    }

    /**
     * The cross-check's word ({@code refuted}, {@code violated} or {@code open}), time and
     * solves, such as {@code refuted in 9.9 s (9 solves)}: the word comes first.
     */
    String checkText() {
      return String.format(Locale.ROOT, "%s in %.1f s (%d solves)%s",
          check.agreement().name().toLowerCase(Locale.ROOT), check.seconds(), check.solves(),
          check.detail().isEmpty() ? "" : ", " + check.detail());
    }
  }

  static Answer answer(PropertyVerifier verifier, Path model, Path property,
      double seconds, boolean progress, Double crossCheck) {
    long start = System.nanoTime();
    try (NDManager manager = NDManager.newBaseManager()) {
      VnnlibProperty prop = VnnlibReader.read(property);
      Network network = ModelFile.load(model, manager);
      StatusLine status = new StatusLine(progress ? System.err : null, start);
      PropertyVerifier.Result result = verifier.verify(network, prop,
          Duration.ofMillis((long) (seconds * 1000)), manager, status);
      status.end();
      double took = (System.nanoTime() - start) / 1e9;
      return switch (result.verdict()) {
        case Verdict.Certified c -> new Answer("unsat", result.method(), took,
            result.subproblems(), "", null, crossCheck == null ? null
                : MilpPropertyCheck.withTimeLimit(crossCheck).check(network, prop, manager));
        case Verdict.Falsified f -> new Answer("sat", result.method(), took,
            result.subproblems(), "", VnnlibCounterexample.format(f.input(), f.output()));
        case Verdict.Timeout t -> new Answer("timeout", result.method(), took,
            result.subproblems(), Double.isNaN(result.worstBound()) ? ""
                : String.format(Locale.ROOT, "worst open bound %.4g", result.worstBound()), null);
        case Verdict.Unknown u -> new Answer("unknown", result.method(), took,
            result.subproblems(), u.reason(), null);
      };
    } catch (IOException | RuntimeException e) {
      return new Answer("error", "-", (System.nanoTime() - start) / 1e9, 0,
          e.getMessage() == null ? e.toString() : e.getMessage(), null);
    }
  }

  private int runList(PropertyVerifier verifier) throws IOException {
    Path base = instances.toAbsolutePath().getParent();
    List<String[]> rows = readInstances(instances, spec.commandLine());
    Path target = results != null ? results : base.resolve("results.csv");
    if (resume && overwrite) {
      throw new ParameterException(spec.commandLine(), "--resume keeps the earlier answers and"
          + " --overwrite discards them: give one of them");
    }
    List<VerificationResults.Instance> earlier = resume
        ? earlierAnswers(target, rows, spec.commandLine()) : List.of();
    Path out = resume ? target : resultsFile(target, overwrite, spec.commandLine());
    return writeResults(instances, rows, earlier, out, crossCheck, r -> answer(verifier,
        base.resolve(r[0]), base.resolve(r[1]), Double.parseDouble(r[2]), false, crossCheck));
  }

  /**
   * The answers that the results {@code csv} (through its JSON twin) already holds for the first
   * instances of {@code rows}; none when neither file exists.
   *
   * @throws ParameterException when the CSV has no twin, or the answers are of other instances
   */
  static List<VerificationResults.Instance> earlierAnswers(Path csv, List<String[]> rows,
      CommandLine cli) throws IOException {
    Path json = VerificationResults.jsonBeside(csv);
    if (!Files.exists(json)) {
      if (Files.exists(csv)) {
        throw new ParameterException(cli, csv + " has no " + json.getFileName() + " beside it"
            + " to resume from");
      }
      return List.of();
    }
    List<VerificationResults.Instance> earlier = Json.MAPPER.readValue(json.toFile(),
        VerificationResults.class).instances();
    for (int i = 0; i < earlier.size(); i++) {
      VerificationResults.Instance e = earlier.get(i);
      if (i >= rows.size() || !e.onnx().equals(rows.get(i)[0])
          || !e.vnnlib().equals(rows.get(i)[1])
          || e.timeout() != Double.parseDouble(rows.get(i)[2])) {
        throw new ParameterException(cli, json + " answers another list: its instance " + (i + 1)
            + " is " + e.onnx() + "," + e.vnnlib() + "," + e.timeout()
            + (i < rows.size() ? ", the list's " + String.join(",", rows.get(i)[0],
                rows.get(i)[1], rows.get(i)[2]) : ", beyond the list's end"));
      }
    }
    return earlier;
  }

  /**
   * The instances of a benchmark list ({@code onnx,vnnlib,timeout} per line, paths relative to
   * the list's directory): each row holds the three fields and the line number.
   *
   * @throws ParameterException naming the line when a row is malformed
   */
  static List<String[]> readInstances(Path instances, CommandLine cli) throws IOException {
    List<String[]> rows = new ArrayList<>();
    int number = 0;
    for (String line : Files.readAllLines(instances, StandardCharsets.UTF_8)) {
      number++;
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split(",");
      if (f.length != 3) {
        throw new ParameterException(cli, instances + ":" + number
            + ": expected onnx,vnnlib,timeout but found '" + line + "'");
      }
      try {
        Double.parseDouble(f[2].trim());
      } catch (NumberFormatException e) {
        throw new ParameterException(cli, instances + ":" + number + ": timeout '"
            + f[2].trim() + "' is not a number");
      }
      rows.add(new String[] {f[0].trim(), f[1].trim(), f[2].trim(), Integer.toString(number)});
    }
    return rows;
  }

  /**
   * {@code csv}, checked to be free: neither it nor its JSON twin
   * ({@link VerificationResults#jsonBeside}) may exist unless {@code overwrite}.
   *
   * @throws ParameterException naming the file that exists
   */
  static Path resultsFile(Path csv, boolean overwrite, CommandLine cli) {
    for (Path f : List.of(csv, VerificationResults.jsonBeside(csv))) {
      if (Files.exists(f) && !overwrite) {
        throw new ParameterException(cli, f + " exists; pass --overwrite or another --results");
      }
    }
    return csv;
  }

  /**
   * Answers every row of {@code list} with {@code answers} in order, writing the results CSV
   * and its JSON twin ({@link VerificationResults}) after each one and a progress line per
   * instance, then prints the summary table. The first rows keep the {@code earlier} answers
   * (of a run that was stopped), if any.
   */
  static int writeResults(Path list, List<String[]> rows,
      List<VerificationResults.Instance> earlier, Path out, Double crossCheck,
      java.util.function.Function<String[], Answer> answers) throws IOException {
    StringBuilder csv = new StringBuilder(
        "onnx,vnnlib,timeout,result,seconds,method,subproblems,detail"
            + (crossCheck == null ? "" : ",milp") + "\n");
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (String w : List.of("sat", "unsat", "timeout", "unknown", "error")) {
      counts.put(w, 0);
    }
    Map<String, Integer> checks = new LinkedHashMap<>();
    for (String w : List.of("refuted", "violated", "open")) {
      checks.put(w, 0);
    }
    double total = 0;
    List<VerificationResults.Instance> typed = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      String[] r = rows.get(i);
      VerificationResults.Instance e;
      if (i < earlier.size()) {
        e = earlier.get(i);
      } else {
        Answer a = answers.apply(r);
        e = new VerificationResults.Instance(r[0], r[1], Double.parseDouble(r[2]), a.word(),
            a.seconds(), a.method(), a.subproblems(), a.detail(),
            a.check() == null ? "" : a.checkText());
      }
      counts.merge(e.result(), 1, Integer::sum);
      total += e.seconds();
      System.err.printf(Locale.ROOT, "[%d/%d] %s %s: %s by %s in %.1f s%s%s%s%n", i + 1,
          rows.size(), r[0], r[1], e.result(), e.method(), e.seconds(),
          e.detail().isEmpty() ? "" : " (" + e.detail() + ")",
          e.milp().isEmpty() ? "" : "; MILP: " + e.milp(),
          i < earlier.size() ? " [earlier run]" : "");
      if (!e.milp().isEmpty()) {
        checks.merge(e.milp().split(" ")[0], 1, Integer::sum); // the word leads checkText
      }
      csv.append(String.join(",", r[0], r[1], r[2], e.result(),
          String.format(Locale.ROOT, "%.3f", e.seconds()), e.method(),
          Long.toString(e.subproblems()), '"' + e.detail().replace("\"", "'") + '"'));
      if (crossCheck != null) {
        csv.append(",\"").append(e.milp()).append('"');
      }
      csv.append('\n');
      AtomicFiles.write(out, csv.toString().getBytes(StandardCharsets.UTF_8));
      typed.add(e);
      Json.write(VerificationResults.jsonBeside(out), new VerificationResults(list.toString(),
          counts, total, typed));
    }
    int solved = counts.get("sat") + counts.get("unsat");
    PrintStream o = System.out;
    o.printf(Locale.ROOT, "instances %d  solved %d  sat %d  unsat %d  timeout %d  unknown %d"
            + "  error %d  time %.1f s%n", rows.size(), solved, counts.get("sat"),
        counts.get("unsat"), counts.get("timeout"), counts.get("unknown"), counts.get("error"),
        total);
    if (crossCheck != null) {
      o.printf(Locale.ROOT, "MILP cross-check of the unsat answers: refuted %d  violated %d"
          + "  open %d%n", checks.get("refuted"), checks.get("violated"), checks.get("open"));
    }
    o.println("results: " + out);
    return 0;
  }

  private void write(Path file, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (overwrite) {
      AtomicFiles.write(file, bytes);
    } else {
      AtomicFiles.writeNew(file, bytes);
    }
  }

  /** The progress line on stderr: phase, open subproblems, worst bound, time. */
  private static final class StatusLine implements PropertyVerifier.Listener {
    private final PrintStream err;
    private final long start;
    private final boolean terminal = System.console() != null;
    private long lastPrinted;
    private boolean printed;

    StatusLine(PrintStream err, long start) {
      this.err = err;
      this.start = start;
    }

    @Override
    public void status(String phase, BranchAndBound.Progress p) {
      if (err == null) {
        return;
      }
      long now = System.nanoTime();
      if (p != null && now - lastPrinted < (terminal ? 200_000_000L : 10_000_000_000L)) {
        return;
      }
      lastPrinted = now;
      String line = p == null
          ? String.format(Locale.ROOT, "%s  %.1f s", phase, (now - start) / 1e9)
          : String.format(Locale.ROOT, "bab  open %d  bounded %d  worst bound %.4g  %.1f s",
              p.open(), p.bounded(), p.worstBound(), (now - start) / 1e9);
      if (terminal) {
        err.print("\r" + line + "          ");
        printed = true;
      } else {
        err.println(line);
      }
    }

    void end() {
      if (printed) {
        err.println();
      }
    }
  }
}
