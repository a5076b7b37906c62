package org.certkit.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import java.util.stream.Stream;
import org.certkit.data.ImageDataset;
import org.certkit.data.Split;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.ExpectedBoundsDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.io.Json;
import org.certkit.milp.MilpBound;
import org.certkit.milp.MilpBounds;
import org.certkit.milp.MilpOptions;
import org.certkit.milp.OutputBounds;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.spec.InputSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/** {@code certkit bounds}: output bounds of a model on test images or given inputs, by method. */
@Command(name = "bounds", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Per-example output bounds (logits) over the eps-ball of test images, and"
        + " their widths.",
        "ibp: interval bound propagation, sound (float64, outward rounding).",
        "crown: backward linear bounds (CROWN / DeepPoly) with CROWN pre-activation bounds;"
            + " crown-ibp: the same on interval pre-activation bounds; both sound (float64, or"
            + " float32 with --arithmetic, every step widened by a rigorous rounding-error"
            + " bound); alpha-crown: CROWN with"
            + " the lower ReLU slopes optimised by Adam (100 steps), as sound.",
        "expected: the expected blockwise bounds of Alsubaihi et al.; NOT sound, they hold in"
            + " expectation over Gaussian weights only.",
        "milp: solver bounds by mixed-integer programming (Tjeng et al. 2019, OR-Tools SCIP):"
            + " within the solver's tolerances, widened by a small allowance, not proven; a bound"
            + " whose solve times out is the solver's dual bound.",
        "With --inputs FILE.json the points come from the file instead of the test images;"
            + " they have no labels, so each line shows the logit of the model's predicted"
            + " class."})
final class BoundsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin DataOptions data;

  @Mixin ProgressOptions progress;

  @Mixin ModelFileOptions model;

  /** The bound methods of this command. */
  enum Method {
    /** Interval bound propagation, sound. */
    IBP,
    /** Backward linear bounds on interval pre-activation bounds, sound. */
    CROWN_IBP,
    /** Backward linear bounds (full CROWN), sound. */
    CROWN,
    /** CROWN with optimised lower slopes (alpha-CROWN), sound. */
    ALPHA_CROWN,
    /** Expected blockwise bounds, not sound. */
    EXPECTED,
    /** Mixed-integer programming, solver bounds. */
    MILP
  }

  /** Where expected bounds are centred, by their command-line names. */
  enum Centring {
    /** {@link ExpectedBoundsDomain.Centre#CLEAN_OUTPUT}. */
    CLEAN(ExpectedBoundsDomain.Centre.CLEAN_OUTPUT),
    /** {@link ExpectedBoundsDomain.Centre#MASKED_AFFINE}. */
    AFFINE(ExpectedBoundsDomain.Centre.MASKED_AFFINE);

    final ExpectedBoundsDomain.Centre centre;

    Centring(ExpectedBoundsDomain.Centre centre) {
      this.centre = centre;
    }
  }

  @Option(names = "--method", defaultValue = "ibp", converter = MethodConverter.class,
      description = "ibp, crown-ibp, crown, alpha-crown, expected or milp (default:"
          + " ${DEFAULT-VALUE}).")
  Method method;

  /** Reads a method by its name with {@code -} for {@code _} ({@code crown-ibp}), any case. */
  static final class MethodConverter implements picocli.CommandLine.ITypeConverter<Method> {
    @Override
    public Method convert(String value) {
      try {
        return Method.valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.TypeConversionException("unknown method '" + value
            + "'; one of ibp, crown-ibp, crown, alpha-crown, expected, milp");
      }
    }
  }

  @Option(names = "--mask-rule", defaultValue = "recursive",
      description = "expected bounds: recursive (Eq. 6) or interval masks (default:"
          + " ${DEFAULT-VALUE}).")
  ExpectedBoundsDomain.MaskRule maskRule;

  @Option(names = "--centre", defaultValue = "clean",
      description = "expected bounds: centred at the clean output f(x) (clean, the paper's"
          + " code) or at the masked affine map (affine, Eq. 3 as written) (default:"
          + " ${DEFAULT-VALUE}).")
  Centring centre;

  @Option(names = "--arithmetic", paramLabel = "TYPE", defaultValue = "float64",
      description = "crown-ibp, crown, alpha-crown: the arithmetic of the sound linear bounds,"
          + " float64 or float32 (faster on convolutional networks, slightly looser; see"
          + " docs/soundness.md) (default: ${DEFAULT-VALUE}).")
  LinearBoundDomain.SoundArithmetic arithmetic;

  @Option(names = "--time-limit", defaultValue = "60",
      description = "milp: seconds per bound (default: ${DEFAULT-VALUE}).")
  double timeLimit;

  @Option(names = "--eps", defaultValue = "0.1",
      description = "L-infinity radius in [0,1] pixel space (default: ${DEFAULT-VALUE}).")
  double eps;

  @Option(names = "--n", defaultValue = "10",
      description = "First N test images (default: ${DEFAULT-VALUE}).")
  int n;

  @Option(names = "--inputs", paramLabel = "FILE.json",
      description = "Bound these inputs instead of test images: a JSON array shaped like the"
          + " model's input batch ([N][1][28][28] for an MNIST model), or an object whose"
          + " \"input\" field is one; pixels in [0, 1], each box clipped to [0, 1] as for test"
          + " images. Cannot be combined with --dataset, --data-dir or --n. Without labels, the"
          + " output names the model's predicted class (\"predicted\" in --json) instead.")
  Path inputs;

  @Option(names = "--json", description = "Write every example's bounds to this JSON file.")
  Path json;

  @Override
  public Integer call() throws Exception {
    if (!(eps >= 0 && eps <= 1) || n < 1) {
      throw new IllegalArgumentException("need --eps in [0, 1] and --n >= 1");
    }
    if (inputs != null) {
      ParseResult parsed = spec.commandLine().getParseResult();
      List<String> given = Stream.of("--dataset", "--data-dir", "--n")
          .filter(parsed::hasMatchedOption).toList();
      if (!given.isEmpty()) {
        throw new IllegalArgumentException(String.join(", ", given) + " cannot be combined"
            + " with --inputs " + inputs + ": the inputs come from the file");
      }
    }
    List<Map<String, Object>> examples = new ArrayList<>();
    double widthSum = 0;
    try (NDManager manager = NDManager.newBaseManager();
        Network network = inputs == null ? model.load(data, manager) : model.load(manager)) {
      ImageDataset test = inputs == null ? data.load(Split.TEST) : null;
      InputsFile points = inputs == null ? null : InputsFile.read(inputs, network.inputShape());
      int count = test != null ? Math.min(n, test.size()) : points.size();
      ProgressBar bar = progress.bar("bounds", count);
      for (int i = 0; i < count; i++) {
        bar.stepTo(i);
        try (NDManager scope = manager.newSubManager()) {
          NDArray x = test != null
              ? test.images(scope, new int[] {i}).toType(DataType.FLOAT64, false)
              : points.point(scope, i);
          Box input = Box.linfBall(x, eps);
          Map<String, Object> example = new LinkedHashMap<>();
          double[] lower;
          double[] upper;
          if (method == Method.MILP) {
            OutputBounds exact = new MilpBounds(MilpOptions.withTimeLimit(timeLimit))
                .outputBounds(network, input);
            lower = exact.lower().stream().mapToDouble(MilpBound::value).toArray();
            upper = exact.upper().stream().mapToDouble(MilpBound::value).toArray();
            example.put("all_solver_optimal", exact.allOptimal());
            example.put("unstable_relus", exact.unstableRelus());
          } else {
            InputSet ball = InputSet.LinfBall.pixels(x, eps);
            Box out = switch (method) {
              case IBP -> new IntervalDomain(IntervalDomain.Rounding.OUTWARD).propagate(
                  network, input, BatchStatistics.evaluation());
              case CROWN_IBP -> new LinearBoundDomain(LinearBoundDomain.Intermediate.INTERVAL,
                  IntervalDomain.Rounding.OUTWARD, null, arithmetic).outputBounds(network, ball,
                  BatchStatistics.evaluation());
              case CROWN -> new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
                  IntervalDomain.Rounding.OUTWARD, null, arithmetic).outputBounds(network, ball,
                  BatchStatistics.evaluation());
              case ALPHA_CROWN -> new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
                  IntervalDomain.Rounding.OUTWARD, LinearBoundDomain.SlopeOptimisation.standard(),
                  arithmetic).outputBounds(network, ball, BatchStatistics.evaluation());
              case EXPECTED -> new ExpectedBoundsDomain(maskRule, centre.centre)
                  .propagate(network, input);
              case MILP -> throw new IllegalStateException("unreachable: MILP handled above");
            };
            lower = out.lower().toDoubleArray();
            upper = out.upper().toDoubleArray();
          }
          double width = 0;
          for (int k = 0; k < lower.length; k++) {
            width += upper[k] - lower[k];
          }
          width /= lower.length;
          widthSum += width;
          String role = test != null ? "label" : "predicted";
          int shown = test != null ? test.label(i) : (int) ConcreteDomain.forward(network, x,
              BatchStatistics.evaluation()).argMax(1).toType(DataType.INT64, false).getLong();
          example.put("index", i);
          example.put(role, shown);
          example.put("lower", lower);
          example.put("upper", upper);
          example.put("mean_width", width);
          examples.add(example);
          System.out.printf("%4d  %s %d  mean width %.4g  bounds of the %s logit [%.4g, %.4g]%n",
              i, role, shown, width, test != null ? "label's" : "predicted class's", lower[shown],
              upper[shown]);
        }
      }
      bar.stepTo(count);
      bar.close();
    }
    double meanWidth = widthSum / examples.size();
    String name = method.name().toLowerCase(Locale.ROOT).replace('_', '-');
    String masks = maskRule.name().toLowerCase(Locale.ROOT);
    String kind = switch (method) {
      case IBP -> "IBP (sound)";
      case CROWN_IBP -> "CROWN-IBP (sound)";
      case CROWN -> "CROWN (sound)";
      case ALPHA_CROWN -> "alpha-CROWN (sound)";
      case MILP -> "MILP (solver bounds, within solver tolerances)";
      case EXPECTED -> "expected (" + masks + " masks, not sound)";
    };
    System.out.printf("%s bounds at eps %.4f over %d examples: mean width %.4g%n", kind, eps,
        examples.size(), meanWidth);
    if (json != null) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("method", name);
      out.put("sound", method != Method.EXPECTED);
      if (method == Method.EXPECTED) {
        out.put("mask_rule", masks);
      }
      if (inputs != null) {
        out.put("inputs", inputs.toString());
      }
      out.put("eps", eps);
      out.put("mean_width", meanWidth);
      out.put("examples", examples);
      Json.write(json, out);
    }
    return 0;
  }
}
