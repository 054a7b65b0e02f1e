#!/usr/bin/env bash
# Layering and style greps (STYLE.md s2): arrows point down only, <mpi.h>
# only in engine/world.* and jobs/, no role branches in math/ and layers/.
set -u
bad=0
up() { # dir, forbidden include prefixes...
    local d=$1; shift
    for p in "$@"; do
        if grep -rn "#include \"$p/" "$d" --include='*.[ch]' 2>/dev/null; then
            echo "lint: $d must not include $p/"; bad=1
        fi
    done
}
up engine protocols math layers jobs
up protocols math layers jobs
up math layers jobs
up layers jobs
if grep -rln '<mpi.h>' engine protocols math layers 2>/dev/null | grep -v '^engine/world\.[ch]$'; then
    echo "lint: <mpi.h> outside engine/world.* and jobs/"; bad=1
fi
if grep -rnE 'role *== *SR_(ALICE|BOB)|SR_(ALICE|BOB) *== *[a-zA-Z_>.-]*role' math layers 2>/dev/null; then
    echo "lint: branch on the lane's protocol role in math/ or layers/"; bad=1
fi
if command -v clang-format >/dev/null && [ "${LINT_FORMAT:-0}" = 1 ]; then
    for f in $(git ls-files '*.c' '*.h'); do
        clang-format --dry-run -Werror "$f" 2>/dev/null || { echo "lint: format $f"; bad=1; }
    done
fi
[ "$bad" = 0 ] && echo "lint: ok"
exit $bad
