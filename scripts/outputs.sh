#!/usr/bin/env bash
# Execute the notebooks at test size and store their outputs in place (figures as 80-dpi PNG, short audio, tables),
# so that every lesson and every experiment's QUICK run can be read without running anything (GitHub, the offline
# site). Cells flagged slow/cuda/full are skipped and keep no output; progress bars are off; execution counts are
# cleared afterwards. A notebook whose cell fails is left as it was, and the script exits 1 naming it.
#   bash scripts/outputs.sh                      every notebook in nbs/ and nbs/experiments/
#   bash scripts/outputs.sh nbs/12_fusion.ipynb  just these
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_env.sh
export MUSICNB_PROGRESS=0 OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export MUSICNB_CACHE="${MUSICNB_CACHE:-$(mktemp -d -t musicnb-cache.XXXXXX)}"
if [ "$#" -gt 0 ]; then nbs=("$@"); else nbs=(nbs/*.ipynb nbs/experiments/*.ipynb); fi
jobs="${MUSICNB_OUTPUT_JOBS:-2}"
status=0
printf '%s\n' "${nbs[@]}" | xargs -P "$jobs" -I{} python scripts/store_outputs.py {} || status=1
nbdev_clean
python scripts/store_outputs.py --check "${nbs[@]}" || status=1
exit "$status"
