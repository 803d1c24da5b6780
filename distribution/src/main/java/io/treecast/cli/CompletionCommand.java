package io.treecast.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

/**
 * {@code treecast completion bash|zsh}: prints a completion script for the commands and their flags (picocli's
 * generator; zsh runs the bash script through {@code bashcompinit}).
 *
 * <pre>{@code
 * source <(treecast completion bash)                 # bash, this shell
 * treecast completion zsh > "${fpath[1]}/_treecast"  # zsh, or: source <(treecast completion zsh)
 * }</pre>
 */
@Command(name = "completion", mixinStandardHelpOptions = true, versionProvider = TreecastCli.Version.class,
        description = "Print a shell completion script: source <(treecast completion bash), or zsh.")
public final class CompletionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SHELL", description = "bash or zsh")
    String shell;

    @Override
    public Integer call() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw new io.treecast.cli.internal.Errors.UsageException("shell " + shell + " is not supported: use bash or zsh");
        }
        String script = AutoComplete.bash("treecast", spec.root().commandLine());
        if (shell.equals("zsh")) {
            // picocli's script completes in zsh once bash's completion functions are loaded
            script = "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + script;
        }
        spec.commandLine().getOut().print(script);
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
