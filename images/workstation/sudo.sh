#!/bin/bash
# There is no root in this workstation (see docs/security.md). `sudo cmd` and `sudo -u learner cmd`
# run cmd as the learner, which is all the chapter needs; anything else is refused with a reason.
user=learner
while [ $# -gt 0 ]; do
  case "$1" in
    -u) user=$2; shift 2 ;;
    -u*) user=${1#-u}; shift ;;
    -H|-E|-n|-i|-s|--preserve-env|--preserve-env=*|--login) shift ;;
    --) shift; break ;;
    -*) echo "sudo: option $1 is not available in this sandbox" >&2; exit 1 ;;
    *) break ;;
  esac
done
if [ "$user" != learner ] && [ "$user" != "$(id -un)" ]; then
  echo "sudo: в этой песочнице нет root: Docker работает без него (rootless). / There is no root in this sandbox: Docker runs rootless." >&2
  exit 1
fi
[ $# -gt 0 ] || exec bash -l
exec "$@"
