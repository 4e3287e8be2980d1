#!/usr/bin/env bash
# One-step against K-step rollout training of the demo FNO (cases/surrogate/fno_ns2d_small.toml:
# 24 training trajectories of 11 frames, 3 in, 1 out) at equal optimizer steps (480), and the
# 8-step rollout error of each on the 8 test trajectories (twinsim predict).
#   bench/surrogates/rollout_training.sh [TWINSIM] [OUT]     (default ./build/apps/twinsim, runs/rollout)
# Windows per trajectory: 11 - 3 - K + 1 = 9 - K; epochs = 480 / ceil(24 (9 - K) / 16).
set -euo pipefail
twinsim=${1:-./build/apps/twinsim}
out=${2:-runs/rollout}
[ -f "$out/data/ns2d_small_data.h5" ] ||
  "$twinsim" -q run cases/surrogate/ns2d_small_data.toml --out "$out/data" --overwrite
files="data.files=[\"$out/data/ns2d_small_data.h5\"]"
echo "K,epochs,optimizer_steps,train_s,test_loss_one_step,rollout_l2_step1,rollout_l2_step8,rollout_l2_all"
for k in ${ROLLOUT_STEPS:-1 2 4 8}; do
  per_epoch=$(( (24 * (9 - k) + 15) / 16 ))
  epochs=$(( 480 / per_epoch ))
  "$twinsim" -q train cases/surrogate/fno_ns2d_small.toml --out "$out/k$k" --overwrite \
    --set "$files" --set "train.rollout_steps=$k" --set "train.epochs=$epochs"
  "$twinsim" -q predict cases/surrogate/fno_ns2d_small.toml --out "$out/k${k}_predict" --overwrite \
    --set "$files" --set "predict.model=$out/k$k/model.h5"
  /usr/bin/python3 - "$out" "$k" <<'EOT'
import json, sys
out, k = sys.argv[1], sys.argv[2]
t = json.load(open(f"{out}/k{k}/summary.json"))
p = json.load(open(f"{out}/k{k}_predict/summary.json"))["rollout"]
print(f"{k},{t['train']['epochs']},{t['train']['steps']},{t['timing']['train_s']:.1f},"
      f"{t['train']['final_test_loss']:.5f},{p['relative_l2_first_step']:.5f},"
      f"{p['relative_l2_last_step']:.5f},{p['relative_l2_full']:.5f}")
EOT
done
