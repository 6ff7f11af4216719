#!/bin/sh
# tst_format: every C++ source of the tree is laid out as .clang-format says (clang-format --dry-run -Werror
# prints each place that differs, naming file and line). Reformat with: clang-format -i FILE...
set -eu
root="$1"
formatter="${2:-clang-format}"
cd "$root"
files=$(find app core ui tests \( -name '*.cpp' -o -name '*.h' \) -type f | sort)
[ -n "$files" ] || { echo "tst_format: no C++ sources found under $root" >&2; exit 1; }
# shellcheck disable=SC2086
"$formatter" --dry-run -Werror $files
echo "tst_format: $(echo "$files" | wc -l) files laid out as .clang-format says"
