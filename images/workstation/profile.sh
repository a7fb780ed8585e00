# Registry Lab: a friendly prompt and completion for the learner's login shell.
if [ -n "${BASH_VERSION:-}" ] && [ -n "${PS1:-}" ]; then
  [ -f /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion
  PS1='\[\e[1;32m\]\u@lab\[\e[0m\]:\[\e[1;34m\]\w\[\e[0m\]\$ '
  export EDITOR=nano
  alias ll='ls -la'
  if [ ! -f "$HOME/.registry-lab-welcomed" ] && [ "$(id -u)" != 0 ]; then
    printf '\e[1mRegistry Lab\e[0m — своя песочница: Docker Engine, реестр localhost:5000, cosign, skopeo, oras.\n'
    printf 'Образы busybox, golang:1.24, debian:trixie-slim и registry:2 загружаются через зеркало.\n\n'
    touch "$HOME/.registry-lab-welcomed" 2>/dev/null
  fi
fi
