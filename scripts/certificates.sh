#!/usr/bin/env bash
# Regenerates the committed certificates: certificates/<adapter>/{certificate.json,report.html,
# junit.xml} for each adapter named (default: the built-in simulations), then
# certificates/index.html, one verdict matrix over every certificate in certificates/.
#
#   scripts/certificates.sh                      # reference nt4-sp3 nt4-sp5 nt4-sp6
#   scripts/certificates.sh wine node-dcom       # only these (registered names or module paths)
#   RUNS=1000 SEED=7 scripts/certificates.sh     # another campaign size or seed
#
# The real targets cost real seconds per run, so they get their own campaign size and a
# shrink budget: node-dcom 30 runs; wine 20 runs sped up x240 after its regression corpus
# (adapters/wine/corpus; it needs scripts/setup-wine.sh first); impacket the README's
# campaign, 200 runs of seed 6 and no shrink limit (about a minute; scripts/setup-impacket.sh first). RUNS, SEED and CERTIFY_ARGS override these for every adapter.
#
# A rule FAILED is what a certificate is for (exit 1 from certify is fine); any other failure
# stops the script. Run it after anything that changes generation (the generator schema hash),
# the rules or an adapter; `dcomkit verify` on the committed certificates tells when.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS_SET="${RUNS:-}"
RUNS="${RUNS:-500}"
SEED_SET="${SEED:-}"
SEED="${SEED:-1}"
if [ "$#" -eq 0 ]; then set -- reference nt4-sp3 nt4-sp5 nt4-sp6; fi

npm run --silent build
for adapter in "$@"; do
  name="$(basename "$adapter")"
  name="${name%.js}"
  out="certificates/$name"
  rm -rf "$out"
  status=0
  runs="$RUNS"
  seed="$SEED"
  args=()
  case "$name" in
    node-dcom) runs="${RUNS_SET:-30}"; args=(--shrink-time 10) ;;
    impacket) runs="${RUNS_SET:-200}"; seed="${SEED_SET:-6}" ;;
    # Wine's regression corpus replays first: 20 random runs alone may miss a known fault.
    # certify adds what it finds to a corpus, so it gets a copy: the committed one stays put.
    wine)
      runs="${RUNS_SET:-20}"
      corpus="$(mktemp -d)"
      trap 'rm -rf "$corpus"' EXIT
      cp adapters/wine/corpus/*.json "$corpus"
      args=(--shrink-time 60 --corpus "$corpus")
      export DCOMKIT_WINE_SCALE="${DCOMKIT_WINE_SCALE:-240}"
      ;;
  esac
  if [ -n "${CERTIFY_ARGS:-}" ]; then read -r -a args <<<"$CERTIFY_ARGS"; fi
  node dist/cli/main.js certify --adapter "$adapter" --runs "$runs" --seed "$seed" "${args[@]}" --out "$out" >/dev/null || status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
    echo "certificates: certify $adapter failed (exit $status)" >&2
    exit "$status"
  fi
  node dist/cli/main.js verify --skip-campaigns "$out/certificate.json" >/dev/null
  echo "certificates: $out ($(node -p "require('./$out/certificate.json').hash"))"
done

# The overview page: every committed certificate side by side.
node -e '
const fs = require("fs");
const path = require("path");
const { renderHtml } = require("./dist/report");
const { loadCertificate } = require("./dist/cli/commands/certify");
const dirs = fs.readdirSync("certificates").filter((d) => fs.existsSync(path.join("certificates", d, "certificate.json"))).sort((a, b) => (a === "reference" ? -1 : b === "reference" ? 1 : a < b ? -1 : 1));
const certs = dirs.map((d) => loadCertificate(path.join("certificates", d, "certificate.json")));
fs.writeFileSync("certificates/index.html", renderHtml(certs));
console.log(`certificates: certificates/index.html (${dirs.join(", ")})`);
'
