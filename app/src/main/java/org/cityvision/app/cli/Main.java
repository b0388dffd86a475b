package org.cityvision.app.cli;

import java.nio.file.NoSuchFileException;
import org.cityvision.core.VisionException;
import org.cityvision.datasets.DatasetException;
import org.cityvision.serving.config.ConfigException;
import org.cityvision.serving.log.JsonLog;
import org.cityvision.serving.log.LogLevels;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code cityvision}: the single entry point of every CityVision process. */
@Command(
    name = "cityvision",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Computer vision for city cameras and smart sorting machines.",
    subcommands = {
      ServeCommand.class,
      KeysCommand.class,
      ClassifyCommand.class,
      BenchCommand.class,
      BatchCommand.class,
      ExportReviewsCommand.class,
      TrainCommand.class,
      EvaluateCommand.class,
      KernelsCommand.class,
      RetentionCommand.class,
      ModelsCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    LogLevels.bridgeJavaUtilLogging();
    int code = commandLine().execute(args);
    // The log's writer is a daemon thread: let it write what the command logged before the JVM
    // exits.
    JsonLog.get().flush(2000);
    System.exit(code);
  }

  /** The configured command line (tests call it in-process). */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setParameterExceptionHandler(Main::badArguments);
    cli.setExecutionExceptionHandler(Main::failed);
    return cli;
  }

  /** Exit code of a command refused for its input: a bad option value, a missing folder. */
  static final int USAGE = 2;

  /** A bad option or value: one line naming it, and where the options are listed. */
  private static int badArguments(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
    cmd.getErr().println("(" + cmd.getCommandSpec().qualifiedName() + " --help lists the options)");
    return USAGE;
  }

  /**
   * A command that failed on what the user gave it (an option value its command checks, a folder
   * that is not a model package or dataset, a file that does not exist) prints one line and exits
   * 2; any other failure is a defect and keeps its stack trace.
   */
  private static int failed(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    String name = cmd.getCommandSpec().qualifiedName();
    if (e instanceof IllegalArgumentException
        || e instanceof VisionException
        || e instanceof DatasetException
        || e instanceof NoSuchFileException
        || e instanceof ConfigException) {
      String message =
          e instanceof NoSuchFileException
              ? "no such file or folder: " + e.getMessage()
              : e.getMessage();
      cmd.getErr().println(name + ": " + message);
      return USAGE;
    }
    cmd.getErr().println(name + ": unexpected failure");
    e.printStackTrace(cmd.getErr());
    cmd.getErr().flush();
    return 1;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"cityvision " + (v == null ? "development build" : v)};
    }
  }
}
