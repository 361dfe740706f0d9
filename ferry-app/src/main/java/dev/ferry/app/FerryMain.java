package dev.ferry.app;

import dev.ferry.app.cli.AdminCommands;
import dev.ferry.app.cli.AnomaliesCommand;
import dev.ferry.app.cli.CliException;
import dev.ferry.app.cli.CopyCommand;
import dev.ferry.app.cli.JobsCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ferry} command: server, demo, and the CLI over the REST API. */
@Command(
    name = "ferry",
    mixinStandardHelpOptions = true,
    versionProvider = FerryMain.Version.class,
    description = "Move data between sites and prove that nothing was lost.",
    subcommands = {
      ServerCommand.class,
      DemoCommand.class,
      CopyCommand.Cp.class,
      CopyCommand.Sync.class,
      JobsCommand.class,
      AdminCommands.Sites.class,
      AdminCommands.Endpoints.class,
      AdminCommands.Tokens.class,
      AdminCommands.Links.class,
      AdminCommands.Check.class,
      AnomaliesCommand.class,
      CompletionCommand.class,
      CommandLine.HelpCommand.class
    })
public final class FerryMain implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit code. */
  public static int execute(String... args) {
    return execute(
        new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
  }

  /** Runs the command line with the given output streams and returns its exit code. */
  public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new FerryMain());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          cmd.getErr().println("ferry: " + oneLine(e));
          return e instanceof CliException c ? c.exitCode() : 1;
        });
    cli.setParameterExceptionHandler(
        (e, args2) -> {
          e.getCommandLine().getErr().println("ferry: " + e.getMessage() + " (see --help)");
          return 2;
        });
    return cli.execute(args);
  }

  static String oneLine(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (root != e && root.getMessage() != null && !m.contains(root.getMessage())) {
      m = m + ": " + root.getMessage();
    }
    return m.replace('\n', ' ');
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = FerryMain.class.getPackage().getImplementationVersion();
      if (v == null) { // the container image runs from classes, without the jar's manifest
        v = System.getenv("FERRY_VERSION");
      }
      return new String[] {"ferry " + (v == null ? "development build" : v)};
    }
  }
}
