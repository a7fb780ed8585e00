# Registry Lab: shell helpers for labs' setup.sh (copied by checks/engine.ts to
# /opt/registry-lab/lib/ on every lab start). Source it as root:
#   . "$REGISTRY_LAB_LIB/common.sh"
# Every function is idempotent.

RL_HOME="${LEARNER_HOME:-/home/learner}"

# Runs a command as the learner, with the learner's HOME (git, docker config...).
as_learner() {
  sudo -u learner -H -- "$@"
}

# Pulls busybox (through the session's mirror) unless it is already there.
ensure_busybox() {
  docker image inspect busybox:latest >/dev/null 2>&1 || docker pull -q busybox:latest >/dev/null
}

# Removes the given local image names (missing ones ignored), in one call of the docker CLI
# (e.g. remove_images localhost:5000/shop/api:1.4.2 shop/api:latest):
# each call costs a start of the CLI and a round trip to the engine (issue 19: a room's lab starts).
remove_images() {
  [ "$#" -gt 0 ] || return 0
  docker image rm -- "$@" >/dev/null 2>&1 || true
}

# Removes every local tag of a repository (e.g. localhost:5000/my-api), keeping the images
# other names still use.
remove_local_repo() {
  local refs=() ref
  while read -r ref; do
    case "$ref" in *'<none>'* | '') continue ;; esac
    refs+=("$ref")
  done < <(docker image ls --format '{{.Repository}}:{{.Tag}}' "$1" 2>/dev/null)
  remove_images "${refs[@]}"
}

# Removes the learner's saved credentials for a registry (docker logout as the learner).
learner_logout() {
  as_learner docker logout "$1" >/dev/null 2>&1 || true
}

# Creates (or empties) a directory in the learner's home, owned by the learner.
learner_dir() {
  install -d -o learner -g learner "$1"
}

# Empties folders of the learner's home in place: their content goes, the folders stay, so a
# terminal the learner left in one is still in a folder that exists after the reset (with
# `rm -rf` and a new folder of the same name it would sit in a deleted one, where every command
# that writes a file fails). A folder given as well as its parent stays too (emptied); anything
# else (a file or symlink in place of a folder, folders attempts made) is removed.
# Parents before their children:
#   clear_learner_dir "$RL_HOME/git" "$RL_HOME/git/app.git"
clear_learner_dir() (
  shopt -s dotglob nullglob
  for d in "$@"; do
    if [ -L "$d" ] || { [ -e "$d" ] && [ ! -d "$d" ]; }; then rm -f -- "$d"; continue; fi
    [ -d "$d" ] || continue
    for e in "$d"/*; do
      keep=
      for k in "$@"; do [ "$e" = "$k" ] && [ -d "$e" ] && [ ! -L "$e" ] && keep=1; done
      [ -n "$keep" ] || rm -rf -- "$e"
    done
  done
)
