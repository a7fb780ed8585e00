# Sourced by the workstation's scripts (bash). `pause_open DIR FD` makes `pause SECONDS` wait on a
# pipe nobody writes to, made in DIR and held open on FD (children should close it: `FD<&-`), not
# start a `sleep`: a fork and an exec, 8 ms of CPU each on a 2-core host, some 30 times a cold
# start (issue 19). Where no pipe can be made, `pause` is `sleep`. FD is the caller's literal digit.
pause_open() {
  if mkfifo -m 600 "$1/.pause" 2>/dev/null && eval "exec $2<>\"\$1/.pause\""; then
    pause_fd=$2
    pause() { read -r -t "$1" -u "$pause_fd" || true; }
  else
    pause() { sleep "$1"; }
  fi
  rm -f "$1/.pause"
}
