#!/usr/bin/env bash
# The kit's own npm dependencies, in a source checkout: `npm ci` (exactly the committed lock
# file, never rewriting it) when node_modules is missing or older than package-lock.json.
# Idempotent: nothing to do once node_modules is newer than the lock. An installed package
# (no lock file beside it) and a node_modules linked from another checkout are left alone.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ ! -f package-lock.json ]; then
  echo "setup-node-modules: not a source checkout (no package-lock.json): nothing to do"
  exit 0
fi
if [ -L node_modules ]; then
  echo "setup-node-modules: node_modules links to $(readlink node_modules): left alone"
  exit 0
fi
if [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup-node-modules: node_modules is up to date with package-lock.json"
  exit 0
fi
echo "setup-node-modules: npm ci"
npm ci --no-audit --no-fund
