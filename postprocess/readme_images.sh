#!/bin/sh
# Remakes the README's pictures (docs/images/*.png), one per solver, with these scripts:
#   postprocess/readme_images.sh [TWINSIM] [WORK_DIR]
# TWINSIM defaults to build/apps/twinsim, WORK_DIR (the runs) to a temporary folder. On 2 CPU
# cores it takes a few minutes (the 3D Taylor-Green run at 64^3 dominates).
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
twinsim=${1:-$root/build/apps/twinsim}
work=${2:-$(mktemp -d)}
images=$root/docs/images
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
mkdir -p "$work" "$images"
"$twinsim" -q run "$root/cases/md/lj_melt.toml" --out "$work/md" --overwrite
"$twinsim" -q run "$root/cases/lbm/cavity_re100.toml" --out "$work/lbm" --overwrite
"$twinsim" -q run "$root/cases/spectral/ns2d_fno_small.toml" --out "$work/spectral" --overwrite
"$twinsim" -q run "$root/cases/spectral/tgv3d_re1600.toml" --out "$work/spectral3d" --overwrite \
  --set spectral3d.n=64 --set spectral3d.t_end=12 --set spectral3d.snapshot_every=30
# What `twinsim plot RUN_DIR [--paraview]` runs, called directly so any twinsim binary will do.
for r in md lbm spectral spectral3d; do /usr/bin/python3 "$here/plot.py" "$work/$r"; done
"$here/paraview/pvrun" "$here/paraview/views.py" "$work/md" --size 640 480
/usr/bin/python3 - "$work" "$images" <<'PY'
import sys
from PIL import Image
work, images = sys.argv[1:3]
chosen = {"md": "md/figures/paraview_particles.png",
          "lbm": "lbm/figures/lbm_ghia_centrelines.png",
          "spectral": "spectral/figures/spectral_vorticity.png",
          "spectral3d": "spectral3d/figures/spectral3d_dissipation.png"}
for name, path in chosen.items():
    # 256-colour palette: a third of the size, no visible change for plots and renderings.
    Image.open(f"{work}/{path}").convert("RGB").quantize(256).save(
        f"{images}/{name}.png", optimize=True)
    print(f"{images}/{name}.png")
PY
