package io.isolate.cli;

import java.util.List;

/**
 * Shell completion scripts, generated from the command's own lists of commands and options so that they cannot
 * drift: {@code source <(isolate completion bash)}, or for zsh {@code source <(isolate completion zsh)}.
 */
final class Completion {
  private Completion() {}

  /** The script for {@code shell} ("bash" or "zsh"), or null for another shell. */
  static String script(String shell) {
    String commands = String.join(" ", Help.COMMANDS);
    String options = String.join(" ", RunOptions.OPTIONS);
    String bash = """
        # isolate completion for bash (and zsh through bashcompinit)
        _isolate() {
          local cur prev
          cur="${COMP_WORDS[COMP_CWORD]}"
          prev="${COMP_WORDS[COMP_CWORD-1]}"
          if [ "$COMP_CWORD" -eq 1 ]; then
            COMPREPLY=($(compgen -W "%s --version --help" -- "$cur"))
            return
          fi
          case "$prev" in
            --level) COMPREPLY=($(compgen -W "process os hardware paravirt" -- "$cur")); return ;;
            --net) COMPREPLY=($(compgen -W "none loopback host" -- "$cur")); return ;;
            help|completion) COMPREPLY=($(compgen -W "%s bash zsh" -- "$cur")); return ;;
          esac
          case "${COMP_WORDS[1]}" in
            run|call)
              if [[ "$cur" == -* ]]; then
                COMPREPLY=($(compgen -W "%s" -- "$cur"))
              else
                COMPREPLY=($(compgen -f -- "$cur"))
              fi ;;
            doctor) COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
          esac
        }
        complete -o filenames -F _isolate isolate
        """.formatted(commands, commands, options);
    return switch (shell) {
      case "bash" -> bash;
      case "zsh" -> "autoload -U +X bashcompinit && bashcompinit\n" + bash;
      default -> null;
    };
  }

  static final List<String> SHELLS = List.of("bash", "zsh");
}
