package dev.ferry.app;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ferry completion}: prints a bash/zsh completion script ({@code source <(ferry
 * completion)}).
 */
@Command(
    name = "completion",
    mixinStandardHelpOptions = true,
    description = "Print the bash/zsh completion script: source <(./ferry completion)")
public final class CompletionCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().getOut().print(AutoComplete.bash("ferry", spec.commandLine().getParent()));
  }
}
