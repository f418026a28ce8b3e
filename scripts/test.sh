#!/usr/bin/env bash
# The whole musicnb test suite, on a fresh machine or an old one:
#   1. create or reuse the virtual environment and install musicnb with its dev tools;
#   2. run every notebook in nbs/ as a test (nbdev_test; cells flagged slow/cuda/full are skipped);
#   3. run pytest over tests/ (command line end to end, bad input, install, notebook/module sync).
# Extra arguments go to nbdev_test, e.g. `--flags slow` to include the slow cells.
# The suite's tolerances are the CPU's, so it runs on the CPU even where a GPU is present (as CI does);
# `--flags cuda` runs it with the GPU visible: the cuda cells, and 'auto' picking CUDA everywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_env.sh
export MUSICNB_CACHE="$(mktemp -d -t musicnb-cache.XXXXXX)"   # a clean cache for every suite run
trap 'rm -rf "$MUSICNB_CACHE"' EXIT
export MUSICNB_PROGRESS=0
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"   # one torch thread per notebook worker: 2 workers fill 2 cores
case " $* " in
  *cuda*) echo "== with the GPU visible (--flags cuda)" ;;
  *) export CUDA_VISIBLE_DEVICES=""; echo "== on the CPU, as in CI (any GPU hidden; --flags cuda runs the GPU checks)" ;;
esac
start=$(date +%s)
echo "== nbdev_test (notebooks in nbs/)"
nbdev_test --n_workers "${MUSICNB_TEST_WORKERS:-2}" --timing "$@"
echo "== pytest (tests/)"
set +e
python -m pytest -q -n "${MUSICNB_PYTEST_WORKERS:-2}" tests
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests" >&2; rc=1; fi
echo "== suite finished in $(( $(date +%s) - start )) s (exit $rc)"
exit "$rc"
