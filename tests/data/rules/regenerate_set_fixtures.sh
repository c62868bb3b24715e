#!/usr/bin/env bash
# Recompiles the committed compiled-set fixtures after a set file format change: the golden set
# (tests/data/rules/golden.set) and the fuzz_set_file seeds (tests/data/fuzz/set_file/).
# usage: tests/data/rules/regenerate_set_fixtures.sh [BUILD_DIR]   (default build/asan), from the repository root
set -euo pipefail
cd "$(dirname "$0")/../../.."
R=${1:-build/asan}/rules/outpost-rules
"$R" compile -o tests/data/rules/golden.set tests/data/rules/golden/feed.json tests/data/rules/golden/mixed.txt \
  x509_sha1:tests/data/rules/golden/certs.txt 2>/dev/null
S=tests/data/fuzz/set_file
{ printf '\x01'; cat tests/data/rules/golden.set; } >"$S/golden-checked"
{ printf '\x00'; cat tests/data/rules/golden.set; } >"$S/golden-unchecked"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in versions malformed_objects taxii_envelope stix20_spec_version_last; do
  "$R" compile -o "$tmp/f.set" "tests/data/rules/$f.json" 2>/dev/null
  { printf '\x00'; cat "$tmp/f.set"; } >"$S/$f"
done
printf 'evil.example\n10.0.0.0/8\n' >"$tmp/l.txt"
"$R" compile -o "$tmp/f.set" "$tmp/l.txt" 2>/dev/null
{ printf '\x00'; cat "$tmp/f.set"; } >"$S/small-list"
echo "regenerated tests/data/rules/golden.set and $S/"
