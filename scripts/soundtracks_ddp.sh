#!/usr/bin/env bash
# SimCLR pre-training on two processes, checked on real recordings: the five game soundtracks
# (python scripts/soundtracks.py DEST builds them). Four encoders are pre-trained the same way
# (1500 steps, 32 clips per step in all):
#   one_process          one process, batch 32
#   two_processes        two CPU processes (DDP over gloo), batch 16 each, from the decoded corpus
#   two_processes_shards the same, streamed from WebDataset shards
#   two_processes_syncbn the same as two_processes, with BatchNorm statistics over both processes
# then each, and a random encoder of the same architecture, gets paper 1's linear probe at 10 %, 25 % and
# 100 % of the training labels, over ten seeds (a seed picks the labelled tracks, shared by every encoder,
# and the probe's initial weights), and `musicnb report --baseline` compares each with the random encoder per
# share, paired on the seed.
# About 75 minutes of pre-training and 25 of probing on 2 CPU cores; finished runs are skipped when it
# is started again. STEPS, SEEDS and FRACTIONS (environment) shorten it.
#
#   bash scripts/soundtracks_ddp.sh ST_ROOT OUT        # ST_ROOT: the folder holding the five soundtrack folders
set -euo pipefail
ST=${1:?usage: soundtracks_ddp.sh ST_ROOT OUT}; OUT=${2:?usage: soundtracks_ddp.sh ST_ROOT OUT}
SEEDS=${SEEDS:-"42 43 44 45 46 47 48 49 50 51"}; FRACTIONS=${FRACTIONS:-"0.1 0.25 1"}
D=(--data "$ST" --layout folder --split stratified --clip-seconds 30)
P=(--steps "${STEPS:-1500}" --device cpu)
done_run() { [ -f "$1/metrics.json" ]; }

[ -f "$OUT/shards/shards.json" ] || musicnb shard "${D[@]}" --out "$OUT/shards"
done_run "$OUT/pre/one_process" || musicnb pretrain "${D[@]}" "${P[@]}" --batch-size 32 --out "$OUT/pre/one_process"
done_run "$OUT/pre/two_processes" || musicnb pretrain "${D[@]}" "${P[@]}" --batch-size 16 --devices 2 --out "$OUT/pre/two_processes"
done_run "$OUT/pre/two_processes_shards" || \
  musicnb pretrain --shards "$OUT/shards" --seconds 3 "${P[@]}" --batch-size 16 --devices 2 --out "$OUT/pre/two_processes_shards"
done_run "$OUT/pre/two_processes_syncbn" || \
  musicnb pretrain "${D[@]}" "${P[@]}" --batch-size 16 --devices 2 --sync-batchnorm --out "$OUT/pre/two_processes_syncbn"

for f in $FRACTIONS; do
  for s in $SEEDS; do
    for e in one_process two_processes two_processes_shards two_processes_syncbn random; do
      run="$OUT/probe/labels=$f/$e/seed=$s"
      done_run "$run" && continue
      if [ "$e" = random ]; then enc=(--encoder random --split-seed 42); else enc=(--encoder "$OUT/pre/$e/encoder.pt"); fi
      musicnb probe "${enc[@]}" "${D[@]}" --labels-fraction "$f" --seed "$s" --device cpu --out "$run"
    done
  done
  musicnb report "$OUT/probe/labels=$f" --out "$OUT/report/labels=$f" --baseline encoder=random   # the four planned comparisons
done
echo "tables: $OUT/report/labels=*/summary.md, and comparisons.md (each encoder against the random one, Holm over the four)"
