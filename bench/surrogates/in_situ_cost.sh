#!/usr/bin/env bash
# In-situ training against its alternatives on the demo ensemble (32 trajectories of 32^2, 24
# for training, 8 held out; FNO-2D of fno_ns2d_small.toml, 40 epochs = 480 optimizer steps):
#   solver      the solver alone (cases/surrogate/ns2d_small_data.toml)
#   in_situ     solver + training in one run, every step after the solver (steps_per_sample 0:
#               the same samples and optimizer steps as offline)
#   in_situ_overlap  the same with 4 optimizer steps after each trajectory (training overlaps)
#   in_situ_nofile   in_situ with samples.write = false: no trajectory written
#   offline     solver -> file -> twinsim train (the two runs' times added)
# Wall time, bytes written (du of the run folders, checkpoints off), test loss.
#   bench/surrogates/in_situ_cost.sh [TWINSIM] [OUT]   (default ./build/apps/twinsim, runs/in_situ_cost)
set -euo pipefail
twinsim=${1:-./build/apps/twinsim}
out=${2:-runs/in_situ_cost}
"$twinsim" -q run cases/surrogate/ns2d_small_data.toml --out "$out/solver" --overwrite
"$twinsim" -q train cases/surrogate/fno_ns2d_small.toml --out "$out/offline_train" --overwrite \
  --set "data.files=[\"$out/solver/ns2d_small_data.h5\"]"
"$twinsim" -q run cases/surrogate/ns2d_insitu.toml --out "$out/in_situ" --overwrite \
  --set samples.steps_per_sample=0
"$twinsim" -q run cases/surrogate/ns2d_insitu.toml --out "$out/in_situ_overlap" --overwrite
"$twinsim" -q run cases/surrogate/ns2d_insitu.toml --out "$out/in_situ_nofile" --overwrite \
  --set samples.steps_per_sample=0 --set samples.write=false
/usr/bin/python3 - "$out" <<'EOT'
import json, os, sys
out = sys.argv[1]
def s(k): return json.load(open(f"{out}/{k}/summary.json"))
def du(*ks): return sum(os.path.getsize(os.path.join(r, f)) for k in ks
                        for r, _, fs in os.walk(f"{out}/{k}") for f in fs)
solver, train = s("solver"), s("offline_train")
rows = [("solver alone", solver["timing"]["total_s"], du("solver"), None),
        ("in situ (train after)", s("in_situ")["timing"]["total_s"], du("in_situ"),
         s("in_situ")["train"]["final_test_loss"]),
        ("in situ (4 steps/trajectory)", s("in_situ_overlap")["timing"]["total_s"],
         du("in_situ_overlap"), s("in_situ_overlap")["train"]["final_test_loss"]),
        ("in situ, no trajectory file", s("in_situ_nofile")["timing"]["total_s"],
         du("in_situ_nofile"), s("in_situ_nofile")["train"]["final_test_loss"]),
        ("solver, file, train", solver["timing"]["total_s"] + train["timing"]["total_s"],
         du("solver", "offline_train"), train["train"]["final_test_loss"])]
print(f"{'':30s} {'wall s':>8s} {'bytes':>12s} {'test loss':>10s}")
for name, t, b, loss in rows:
    print(f"{name:30s} {t:8.1f} {b:12d} {'' if loss is None else f'{loss:.5f}':>10s}")
EOT
