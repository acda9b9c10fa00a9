#!/usr/bin/env bash
# Copies every posture file of the repository (examples, stdlib, tests) into the fuzz corpora,
# one file each, named by content hash so that rerunning adds nothing twice. Run from anywhere.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dirs=()
for d in examples stdlib tests/syntax tests/ui; do
  [ -d "$root/$d" ] && dirs+=("$root/$d")
done
for target in parse check; do
  mkdir -p "$root/fuzz/corpus/$target"
  find "${dirs[@]}" -name '*.posture' -type f -print0 |
  while IFS= read -r -d '' f; do
    cp "$f" "$root/fuzz/corpus/$target/$(sha1sum "$f" | cut -c1-16)"
  done
done
echo "corpus: $(ls "$root/fuzz/corpus/parse" | wc -l) files per target"
