#!/usr/bin/env bash
# Formatting and static analysis.
#   lint.sh format   rewrite every C++ file with clang-format
#   lint.sh check    clang-format check of every file + clang-tidy on changed files
#   lint.sh all      clang-format check + clang-tidy on every file
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.h' '*.cc' | grep -v '^build' || true)

case "$mode" in
  format)
    clang-format -i "${files[@]}"
    exit 0 ;;
  check|all) ;;
  *) echo "usage: lint.sh format|check|all" >&2; exit 2 ;;
esac

echo "clang-format: ${#files[@]} files"
clang-format --dry-run -Werror "${files[@]}"

if [ "$mode" = all ]; then
  tidy=("${files[@]}")
else
  base=${LINT_BASE:-$(git merge-base HEAD origin/main 2>/dev/null || git rev-parse HEAD~1 2>/dev/null || true)}
  if [ -n "$base" ]; then
    mapfile -t tidy < <( { git diff --name-only "$base" -- '*.cc'; git ls-files -o --exclude-standard -- '*.cc'; } | sort -u)
  else
    mapfile -t tidy < <(git ls-files -co --exclude-standard -- '*.cc')
  fi
fi
# Only translation units the build knows (headers are checked through them).
tus=()
for f in "${tidy[@]}"; do
  [ -f "$f" ] && [[ "$f" == *.cc ]] && grep -q "$(pwd)/$f" build/compile_commands.json && tus+=("$f")
done
echo "clang-tidy: ${#tus[@]} files"
[ ${#tus[@]} -eq 0 ] && exit 0
# Generated headers (protobuf, version.h) must exist before clang-tidy parses the sources.
cmake --build build --target kubepp_base >/dev/null
printf '%s\n' "${tus[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p build --quiet 2>&1 \
  | grep -v -E '^[0-9]+ warnings? generated|^Suppressed|^Use -header-filter|^$' || true
# Run again for the exit status (xargs above keeps output readable; this is cheap with ccache-free tidy).
printf '%s\n' "${tus[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p build --quiet >/dev/null 2>&1
