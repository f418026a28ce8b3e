#!/bin/bash
# All of musicnb's GPU checks in one go, for a machine with one CUDA GPU (run from the repository root),
# in this order (the checks no GPU run has passed yet first, the measurements already recorded last):
#   1. notebooks-cuda: the notebooks with `#| cuda` cells, and those that train or embed, with the GPU
#      visible (nbdev_test --flags cuda: 'auto' picks CUDA in every cell);
#   2. bench-eager: bench/gpu.py, the throughput of each paper-1 stage at GTZAN scale, the projected wall
#      time of the whole reproduction and of the experiment the paper timed, with CONCURRENT=4
#      dual-stream trainings at once in four processes and STREAMS=4 in one process on four CUDA streams;
#   3. profile-step: where one dual-stream training step spends its time (bfloat16 and float32, each
#      stream alone, the top CUDA kernels, the step in a CUDA graph) and a SimCLR step (views, update);
#   4. cli-fabric: train, pretrain and probe from the command line on CUDA through Lightning Fabric
#      (--devices 1), in bfloat16, a pre-training streamed from shards, and report;
#   5. cli-paper2: musicnb embed (PANNs CNN14 and BYOL-A v2 architectures, untrained weights) and
#      musicnb head (cross-entropy DNN; a 3-head multitask head in bfloat16 through Fabric) on CUDA;
#   6. bench-fp32, bench-graph, bench-compile, bench-channels-last: bench/gpu.py training in float32, with
#      CUDA-graph steps, with torch.compile, with channels-last;
#   7. e2e-dual-stream: ten epochs of paper 1's supervised dual-stream recipe on a GTZAN-sized
#      SynthGenres (1000 × 30 s), end to end from the audio files: the measured epoch time, to set beside
#      bench/gpu.py's projection.
#   8. e2e-graph: three epochs of the same recipe with and without --cuda-graph, their epoch times.
# Each part has its own time limit inside an overall one (BUDGET seconds, default 540), and a failing part
# does not stop the others; the summary at the end says how each ended. PARTS="notebooks-cuda cli-paper2"
# runs only the parts it names. Logs and the benchmark's JSON go to $OUT (default /tmp/musicnb-gpu).
#
#   bash bench/on_gpu.sh                 # DEV=cpu bash bench/on_gpu.sh --smoke checks the script on a CPU
set -u
OUT=${OUT:-/tmp/musicnb-gpu}; DEV=${DEV:-cuda}; SMOKE=${1:-}
mkdir -p "$OUT"; LOG=$OUT/log.txt; : > "$LOG"
if [ -d .whl ]; then   # packages the machine lacks, carried as wheels (no network there)
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 MPLBACKEND=Agg MUSICNB_PROGRESS=0
export HOME=${GPU_HOME:-/tmp/musicnb-home} MUSICNB_CACHE=/tmp/musicnb-cache NUMBA_CACHE_DIR=/tmp/musicnb-numba
mkdir -p "$HOME"
PY=$(command -v python3 || command -v python)
musicnb() { "$PY" -m musicnb.cli "$@"; }
declare -A RESULT
DEADLINE=$((SECONDS + ${BUDGET:-540}))
part() {   # part NAME LIMIT_S COMMAND...: run one part under a time limit, log it, remember how it ended
  local name=$1 limit=$2; shift 2
  if [ -n "${PARTS:-}" ] && [[ " $PARTS " != *" $name "* ]]; then RESULT[$name]="not run: not in PARTS"; return; fi
  local left=$((DEADLINE - SECONDS)); [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -lt 20 ]; then RESULT[$name]="not run: the overall limit was reached"; return; fi
  echo "=== $name (limit ${limit} s)" >> "$LOG"
  local t0=$SECONDS start; start=$(wc -l < "$LOG")
  timeout "$limit" "$@" >> "$LOG" 2>&1; local rc=$?
  RESULT[$name]="rc=$rc, $((SECONDS - t0)) s"
  echo "=== $name"; tail -n +"$((start + 1))" "$LOG" | tail -n 22   # the end of this part's output, however long
  echo "--- $name: ${RESULT[$name]}" | tee -a "$LOG"
}
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
  "$PY" -c "import torch, torchaudio, lightning; print('torch', torch.__version__, 'torchaudio', torchaudio.__version__, 'lightning', lightning.__version__, 'cuda', torch.cuda.is_available())"
} | tee "$OUT/machine.txt"

# the notebooks with a cuda cell, and those whose training and embedding code picks CUDA under 'auto', eight at
# once with two CPU threads each (sixteen each oversubscribe the cores many times over)
NB=${NB_RE:-'^(04_features|12_fusion|14_train|16_shards|20_augment|21_simclr|22_probe|30_embeddings|31_heads|34_embed)\.ipynb$'}
part notebooks-cuda "${NB_LIMIT:-200}" env OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 "$PY" -c "from nbdev.test import nbdev_test; import sys; sys.argv=['nbdev_test']; nbdev_test(path='nbs', flags='cuda', n_workers=8, file_re=r'$NB', timing=True)" 

B=(--device "$DEV"); [ "$SMOKE" = --smoke ] && B+=(--smoke)
part bench-eager 150 "$PY" bench/gpu.py "${B[@]}" --concurrent "${CONCURRENT:-4}" --streams "${STREAMS:-4}" --json "$OUT/gpu_eager.json"
part profile-step 90 "$PY" bench/gpu.py "${B[@]}" --profile 10 --json "$OUT/profile.json"

# the command line on the device, through Fabric: a small SynthGenres corpus, then train / pretrain / probe / shards
S=/tmp/musicnb-sg; R=/tmp/musicnb-runs; rm -rf "$R"
cli() {
  set -e
  musicnb synth "$S" --per-genre 12 --seconds 6 --seed 0 --overwrite
  D=(--data "$S" --layout synth --device "$DEV" --devices 1)
  musicnb train "${D[@]}" --model dual-stream --epochs 3 --precision bf16-mixed --out "$R/train"
  musicnb pretrain "${D[@]}" --method simclr --steps 30 --batch-size 32 --out "$R/pre"
  musicnb probe "${D[@]}" --encoder "$R/pre/encoder.pt" --epochs 20 --out "$R/probe"
  musicnb shard --data "$S" --layout synth --out "$R/shards" --shard-size 40
  musicnb pretrain --shards "$R/shards" --device "$DEV" --devices 1 --method simclr --steps 30 --batch-size 32 --out "$R/pre_shards"
  musicnb report "$R" --out "$R/report"
}
part cli-fabric 120 bash -c "$(declare -f musicnb cli); PY=$PY DEV=$DEV S=$S R=$R; cli"

# paper 2 from the command line on the device: embeddings of two extractors (their architectures with
# untrained weights: no checkpoint can be downloaded there), then a DNN head and a multitask head
cli2() {
  set -e
  [ -d "$S" ] || musicnb synth "$S" --per-genre 12 --seconds 6 --seed 0 --overwrite
  for x in panns-cnn14 byola-v2; do
    musicnb embed --data "$S" --layout synth --device "$DEV" --extractor $x --weights random --out "$R/emb_$x"
  done
  musicnb head --embeddings "$R/emb_panns-cnn14" --device "$DEV" --epochs 20 --out "$R/head_ce"
  musicnb head --embeddings "$R/emb_byola-v2" --loss multitask --main-loss triplet --heads 3 --device "$DEV" --devices 1 \
    --precision bf16-mixed --epochs 20 --out "$R/head_mt"
}
part cli-paper2 90 bash -c "$(declare -f musicnb cli2); PY=$PY DEV=$DEV S=$S R=$R; cli2"

part bench-fp32 150 "$PY" bench/gpu.py "${B[@]}" --fp32 --concurrent "${CONCURRENT:-4}" --json "$OUT/gpu_fp32.json"
part bench-graph 150 "$PY" bench/gpu.py "${B[@]}" --cuda-graph --concurrent "${CONCURRENT:-4}" --json "$OUT/gpu_graph.json"
part bench-compile 150 "$PY" bench/gpu.py "${B[@]}" --compile --json "$OUT/gpu_compile.json"
part bench-channels-last 90 "$PY" bench/gpu.py "${B[@]}" --channels-last --json "$OUT/gpu_channels_last.json"

# paper 1's supervised recipe, end to end on a GTZAN-sized corpus, ten epochs (the smoke run: 50 tracks, 1 epoch)
e2e() {
  set -e
  if [ "$SMOKE" = --smoke ]; then n=5; ep=1; else n=100; ep=10; fi
  musicnb synth "$S/../musicnb-sg1000" --per-genre $n --seconds 30 --seed 0 --jobs 16 --overwrite
  musicnb train --data "$S/../musicnb-sg1000" --layout synth --model dual-stream --device "$DEV" --epochs $ep --out "$R/e2e"
  "$PY" -c "import pandas as pd, json; h = pd.read_csv('$R/e2e/history.csv'); m = json.load(open('$R/e2e/metrics.json'))
print(f'epoch time: first {h.epoch_s.iloc[0]:.1f} s (features computed), then median {h.epoch_s.iloc[1:].median() if len(h) > 1 else float(\"nan\"):.1f} s; whole run {m[\"wall_time_s\"]:.0f} s')"
}
part e2e-dual-stream 150 bash -c "$(declare -f musicnb e2e); PY=$PY DEV=$DEV S=$S R=$R SMOKE=$SMOKE; e2e"

# the same recipe with --cuda-graph beside the ordinary loop: three epochs each, the measured epoch times (GPU only)
e2eg() {
  set -e
  if [ "$SMOKE" = --smoke ]; then n=5; ep=1; G=(""); else n=100; ep=3; G=("" --cuda-graph); fi
  [ -d "$S/../musicnb-sg1000" ] || musicnb synth "$S/../musicnb-sg1000" --per-genre $n --seconds 30 --seed 0 --jobs 16 --overwrite
  for g in "${G[@]}"; do
    musicnb train --data "$S/../musicnb-sg1000" --layout synth --model dual-stream --device "$DEV" --epochs $ep $g --out "$R/e2e3$g" --restart
    "$PY" -c "import pandas as pd; h = pd.read_csv('$R/e2e3$g/history.csv')
print('${g:-ordinary loop}:', 'epoch times', ', '.join(f'{s:.1f}' for s in h.epoch_s), 's; train loss', ', '.join(f'{v:.3f}' for v in h.train_loss))"
  done
}
part e2e-graph 150 bash -c "$(declare -f musicnb e2eg); PY=$PY DEV=$DEV S=$S R=$R SMOKE=$SMOKE; e2eg"

echo "=== summary" | tee -a "$LOG"
for k in notebooks-cuda bench-eager profile-step cli-fabric cli-paper2 bench-fp32 bench-graph bench-compile bench-channels-last e2e-dual-stream e2e-graph; do echo "  $k: ${RESULT[$k]:-not run}"; done | tee -a "$LOG"
