# tools/bench_lib.sh -- shell helpers shared by tools/bench_kws.sh and
# tools/bench_heads.sh (sourced, not run).

export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1}
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}

# launch R CMD...: the command under its own mpirun (own session
# directory) when R > 1, else directly.
launch() {
    local R=$1; shift
    if [ "$R" -gt 1 ]; then
        OMPI_MCA_orte_tmpdir_base=$(mktemp -d "$TMP/mpi-XXXXXX") \
            mpirun -np "$R" --bind-to none "$@"
    else
        "$@"
    fi
}

# bench_start NAME: checks $SIRNN and /usr/bin/python3's numpy (exit 2
# with one line), makes TMP and removes it (and kills a server left in
# SPID) on exit.
bench_start() {
    PY=/usr/bin/python3
    [ -x "$SIRNN" ] || { echo "$1: no $SIRNN (make BUILD=... first)" >&2; exit 2; }
    "$PY" -c 'import numpy' 2>/dev/null ||
        { echo "$1: $PY has no numpy (apt-get install -y python3-numpy)" >&2; exit 2; }
    TMP=$(mktemp -d "/tmp/sirnn-$1-XXXXXX")
    SPID=
    trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$TMP"' EXIT
}

# bench_csv FILE HEADER: creates FILE with its header row unless it has
# one ("-" = no CSV).
bench_csv() {
    [ "$1" != - ] || return 0
    mkdir -p "$(dirname "$1")"
    [ -s "$1" ] || echo "$2" >"$1"
}
