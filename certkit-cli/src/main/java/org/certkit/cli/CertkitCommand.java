package org.certkit.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code certkit} command: entry point of the command line. */
@Command(
    name = "certkit",
    mixinStandardHelpOptions = true,
    versionProvider = CertkitCommand.Version.class,
    description = "Certified robustness of neural networks: train, attack, bound and certify.",
    subcommands = {
      QuickstartCommand.class,
      TrainCommand.class,
      EvalCommand.class,
      CertifyCommand.class,
      AttackCommand.class,
      TightnessCommand.class,
      BoundsCommand.class,
      VerifyCommand.class,
      ReportCommand.class,
      SparkCommand.class,
      ExportCommand.class,
      PropertiesCommand.class,
      ExperimentCommand.class,
      DataCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class CertkitCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
  }

  /** Builds the command line with certkit's error handling. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new CertkitCommand());
    // Enum options take their constants' names in lower case (--method ibp).
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
      if (System.getenv("CERTKIT_DEBUG") != null) {
        cause.printStackTrace(commandLine.getErr());
      }
      if (cause instanceof IllegalArgumentException || cause instanceof IOException
          || cause instanceof IllegalStateException) {
        commandLine.getErr().println("certkit " + commandLine.getCommandName() + ": "
            + describe(cause));
        return 2;
      }
      throw e;
    });
    return cli;
  }

  private static String describe(Throwable e) {
    if (e instanceof java.nio.file.NoSuchFileException n) {
      return "file not found: " + n.getFile();
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  /** Runs the command line and exits with its status. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The version of the build, from the jar's manifest (the parent pom's version). */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = CertkitCommand.class.getPackage().getImplementationVersion();
      return new String[] {"certkit " + (version == null ? "(classes outside a jar)" : version)};
    }
  }
}
