#!/usr/bin/env bash
# Copies every valid posture input of the repository into the fuzz corpora (one file each,
# named by content hash so reruns add nothing twice). Run from anywhere.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for target in parse check; do
  mkdir -p "$root/fuzz/corpus/$target"
  find "$root/examples" "$root/stdlib" "$root/tests/syntax" "$root/tests/ui" \
       -name '*.posture' -type f 2>/dev/null |
  while read -r f; do
    cp "$f" "$root/fuzz/corpus/$target/$(sha1sum "$f" | cut -c1-16)"
  done
done
echo "corpus: $(ls "$root/fuzz/corpus/parse" | wc -l) files per target"
