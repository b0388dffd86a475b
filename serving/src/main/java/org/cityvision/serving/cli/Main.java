package org.cityvision.serving.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code cityvision}: the single entry point of every CityVision process. */
@Command(name = "cityvision", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Computer vision for city cameras and smart sorting machines.",
    subcommands = {ServeCommand.class, KeysCommand.class, ClassifyCommand.class, BenchCommand.class, BatchCommand.class,
        ExportReviewsCommand.class, TrainCommand.class, EvaluateCommand.class, KernelsCommand.class,
        ModelsCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line (tests call it in-process). */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    return cli;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"cityvision " + (v == null ? "development build" : v)};
    }
  }
}
