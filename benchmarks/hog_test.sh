#!/usr/bin/env bash
# Run the test suite N times in a row with a CPU hog and a disk hog running beside it, and
# report pass/fail per run (docs/reliability.md, "CI under load").
#
#   benchmarks/hog_test.sh [-n RUNS] [--clone] [--cpus K] [--disk-mb M] [-- COMMAND ...]
#
#   -n RUNS     how many runs (default 5); every run is reported, the exit status is 1 if any failed
#   --clone     run in a fresh `git clone` of this checkout's HEAD (in a temporary directory,
#               with ../shared linked beside it when the checkout has one, as in CI), so nothing
#               built here is reused; `make test` then builds its own virtualenv
#               (that needs the package index)
#   --cpus K    CPU hog: K busy loops (default: the number of cores)
#   --disk-mb M disk hog: write M MB with fsync, delete, repeat (default 256)
#   COMMAND     what to run each time (default: make test)
#
# The hogs are this script's own child processes, ended on exit (also on Ctrl-C). Each run's
# output goes to LOGDIR/run_<i>.log (LOGDIR is printed; default a temporary directory).
set -u

runs=5
clone=0
cpus=$(nproc 2>/dev/null || echo 2)
disk_mb=256
while [ $# -gt 0 ]; do
    case "$1" in
        -n) runs=$2; shift 2 ;;
        --clone) clone=1; shift ;;
        --cpus) cpus=$2; shift 2 ;;
        --disk-mb) disk_mb=$2; shift 2 ;;
        --) shift; break ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ $# -gt 0 ]; then cmd=("$@"); else cmd=(make test); fi

repo=$(git rev-parse --show-toplevel) || { echo "error: not inside a git checkout" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/qed-hog.XXXXXX")
logdir=${LOGDIR:-$work/logs}
mkdir -p "$logdir"
hogs=()

cleanup() {
    for pid in "${hogs[@]}"; do pkill -P "$pid" 2>/dev/null; kill "$pid" 2>/dev/null; done
    for pid in "${hogs[@]}"; do wait "$pid" 2>/dev/null; done
    rm -f "$work/disk_hog.bin"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$clone" = 1 ]; then
    git clone --quiet "$repo" "$work/clone" || { echo "error: git clone failed" >&2; exit 2; }
    dir=$work/clone
    # CI has the shared data beside the checkout (../shared); give the clone the same layout
    if [ -d "$repo/../shared" ]; then ln -s "$(cd "$repo/../shared" && pwd)" "$work/shared"; fi
else
    dir=$repo
fi

for _ in $(seq 1 "$cpus"); do
    ( while :; do :; done ) &
    hogs+=($!)
done
(
    while :; do
        dd if=/dev/zero of="$work/disk_hog.bin" bs=1M count="$disk_mb" conv=fsync status=none
        rm -f "$work/disk_hog.bin"
    done
) &
hogs+=($!)

echo "hogs: $cpus busy loop(s), ${disk_mb} MB written+fsynced in a loop; running in $dir: ${cmd[*]}"
echo "logs: $logdir"
failed=0
for i in $(seq 1 "$runs"); do
    start=$(date +%s)
    (cd "$dir" && "${cmd[@]}") >"$logdir/run_$i.log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    tail_line=$(grep -E "passed|failed|error" "$logdir/run_$i.log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        echo "run $i/$runs: PASS in ${secs} s  ($tail_line)"
    else
        failed=$((failed + 1))
        echo "run $i/$runs: FAIL (exit $rc) in ${secs} s  ($tail_line); see $logdir/run_$i.log"
    fi
done
echo "$((runs - failed))/$runs runs passed under load"
[ $failed -eq 0 ]
