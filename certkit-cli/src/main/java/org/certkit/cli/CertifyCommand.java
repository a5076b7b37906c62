package org.certkit.cli;

import java.util.Arrays;
import java.util.concurrent.Callable;
import org.certkit.certify.Certifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code certkit certify}: sound certification of a model. */
@Command(name = "certify", mixinStandardHelpOptions = true,
    description = {"Certified accuracy of a model on the test set.",
        "Sound under floating point: float64 bounds with outward rounding allowances."})
final class CertifyCommand implements Callable<Integer> {

  @Mixin EvaluationOptions options;

  @Option(names = "--method", defaultValue = "ibp", converter = MethodConverter.class,
      description = "ibp, crown-ibp, crown, alpha-crown, linear (IBP, CROWN-IBP, then CROWN"
          + " for the examples still undecided), auto (linear, then alpha-CROWN), or bab (auto,"
          + " then branch and bound on ReLU splits, at most --bab-timeout per example) (default:"
          + " ${DEFAULT-VALUE}).")
  Certifier.Method method;

  @Override
  public Integer call() throws Exception {
    options.run(null, method);
    return 0;
  }

  /** Reads a method by its label ({@code crown-ibp}), in any case. */
  static final class MethodConverter implements ITypeConverter<Certifier.Method> {
    @Override
    public Certifier.Method convert(String value) {
      return Arrays.stream(Certifier.Method.values())
          .filter(m -> m.label().equalsIgnoreCase(value.trim()))
          .findFirst()
          .orElseThrow(() -> new TypeConversionException("unknown method '" + value
              + "'; one of " + Arrays.stream(Certifier.Method.values())
                  .map(Certifier.Method::label).toList()));
    }
  }
}
