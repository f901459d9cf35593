#!/usr/bin/env bash
# Sets up everything the kit's tests need, idempotently: `npm test` runs it first, so a bare
# machine passes with the README's two commands alone, and `dcomkit setup NAME` runs one step
# from an installed package. Each step is a script beside this one that does nothing, in a
# second or two, when its work is already done.
#
#   scripts/setup.sh              every step, in order (what `npm test` does)
#   scripts/setup.sh wine ...     only the steps named
#   scripts/setup.sh --list       the steps: name, then what needs it
#
# A failing step is reported and the others still run; the exit status is then 1 (2 for an
# unknown step). Installing Debian packages needs root or sudo.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The one list of set-up steps: name, script in scripts/, what needs it. Add a step here.
STEPS='
node-modules  setup-node-modules.sh  the kit'"'"'s npm dependencies, in a source checkout (npm ci when node_modules is missing or older than the lock file)
python3       setup-python3.sh       the Python example adapter (examples/python-adapter) and the --adapter-cmd tests
chromium      install-chromium.sh    the HTML report'"'"'s browser test (test/report/browser.test.ts)
impacket      setup-impacket.sh      the impacket adapter (adapters/impacket: python3-impacket for /usr/bin/python3) and its tests (test/impacket)
wine          setup-wine.sh          the Wine adapter (adapters/wine) and its tests (test/wine)
'

names=()
scripts=()
whats=()
while read -r name script what; do
  [ -n "$name" ] || continue
  names+=("$name")
  scripts+=("$script")
  whats+=("$what")
done <<<"$STEPS"

if [ "${1:-}" = "--list" ]; then
  for i in "${!names[@]}"; do printf '%s\t%s\n' "${names[$i]}" "${whats[$i]}"; done
  exit 0
fi

wanted=("$@")
[ "${#wanted[@]}" -gt 0 ] || wanted=("${names[@]}")
for w in "${wanted[@]}"; do
  found=0
  for n in "${names[@]}"; do [ "$n" = "$w" ] && found=1; done
  if [ "$found" -eq 0 ]; then
    echo "setup: unknown step '$w' (steps: ${names[*]})" >&2
    exit 2
  fi
done

t0=$(date +%s)
failed=()
for i in "${!names[@]}"; do
  for w in "${wanted[@]}"; do
    [ "$w" = "${names[$i]}" ] || continue
    if ! bash "$here/${scripts[$i]}"; then
      echo "setup: ${names[$i]} FAILED (scripts/${scripts[$i]}): ${whats[$i]} will fail" >&2
      failed+=("${names[$i]}")
    fi
  done
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "setup: ${#failed[@]} step(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "setup: ready (${wanted[*]}) in $(($(date +%s) - t0)) s"
