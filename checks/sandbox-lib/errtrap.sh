# Loaded through BASH_ENV before a lab script runs (checks/engine.ts): a failing command
# names itself and its line on stderr, so a setup error is never "exited with code 1" alone.
trap 'rc=$?; echo "${BASH_SOURCE[0]:-script}: line ${LINENO}: \`${BASH_COMMAND}\` failed (exit ${rc})" >&2' ERR
