# tools/bench_lib.sh -- shell helpers shared by tools/bench_kws.sh and
# tools/bench_heads.sh (sourced, not run).  Needs TMP set by the caller.

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
