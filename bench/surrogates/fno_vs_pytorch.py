"""FNO-2D training speed, `twinsim train` against the same model in PyTorch, same device, one run.

The model (Li et al. 2021 FNO-2D as Twinsim builds it): 10 input frames + (x, y) channels, lift
to width 20, 4 Fourier layers keeping 12 x 12 modes + pointwise linear, GELU, projection
20 -> 128 -> 1; relative L2 loss, Adam; batch 20 windows of 64 x 64. Both train the same
synthetic trajectories for the same number of epochs; the figure is training windows per
second, from the epochs after the first (plans and allocations are made in the first).

Before timing, both models are given the same weights (Twinsim's model file loaded into
PyTorch) and their outputs on the same inputs are compared: the check that the two programs
compute the same function.

With --repeats R both trainings run R times, alternating (so both see the same machine load);
the figures are the medians, and every run, the ratio of the medians and the load average are
printed.

Usage: PYTHON bench/surrogates/fno_vs_pytorch.py build/apps/twinsim
       [--device cpu|gpu] [--samples 100] [--epochs 3] [--size 64] [--threads N] [--repeats R]
PYTHON is any interpreter that imports numpy, h5py and torch (bench/surrogates/README.md: a
virtual environment with PyPI's torch that also sees Debian's h5py and numpy).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

try:
    import torch
except ImportError:
    sys.exit(f"fno_vs_pytorch.py: {sys.executable} cannot import torch; run this script with a "
             "Python that has PyTorch (bench/surrogates/README.md says how to make one)")


def fno_forward_reference(params, x, modes):
    """The Twinsim FNO-2D in PyTorch. x: [b][c][y][x]; params: name -> tensor (Twinsim's names
    and layouts). Column kx = 0 of each spectral output is made Hermitian before irfft2, as
    Twinsim's SpectralConv2d does, so both compute the same real map."""
    b, c, ny, nx = x.shape
    gx = (torch.arange(nx, dtype=x.dtype) / nx).view(1, 1, 1, nx).expand(b, 1, ny, nx)
    gy = (torch.arange(ny, dtype=x.dtype) / ny).view(1, 1, ny, 1).expand(b, 1, ny, nx)
    h = torch.cat([x, gx.to(x.device), gy.to(x.device)], dim=1)

    def linear(name, h):
        return torch.einsum("oi,biyx->boyx", params[name + ".weight"], h) + \
            params[name + ".bias"].view(1, -1, 1, 1)

    def spectral(name, h):
        w = params[name + ".weight"]  # [2][in][out][m][m][2]
        w = torch.complex(w[..., 0], w[..., 1])
        hh = torch.fft.rfft2(h)
        out = torch.zeros(b, w.shape[2], ny, nx // 2 + 1, dtype=hh.dtype, device=h.device)
        m = modes
        out[:, :, :m, :m] = torch.einsum("biyx,ioyx->boyx", hh[:, :, :m, :m], w[0])
        out[:, :, ny - m:, :m] = torch.einsum("biyx,ioyx->boyx", hh[:, :, ny - m:, :m], w[1])
        col = out[:, :, :, 0]
        mirrored = torch.conj(col[:, :, (-torch.arange(ny)) % ny])
        out = torch.cat([(0.5 * (col + mirrored)).unsqueeze(-1), out[:, :, :, 1:]], dim=-1)
        return torch.fft.irfft2(out, s=(ny, nx))

    h = linear("lift", h)
    layers = sum(1 for k in params if k.endswith(".spectral.weight"))
    for l in range(layers):
        h = spectral(f"fourier{l}.spectral", h) + linear(f"fourier{l}.pointwise", h)
        if l + 1 < layers:
            h = torch.nn.functional.gelu(h)
    h = torch.nn.functional.gelu(linear("project", h))
    return linear("output", h)


def median(values):
    return float(np.median(values))


def pytorch_epoch_seconds(tparams, opt, xs, ys, a, dev):
    """Seconds of each training epoch of the PyTorch model (the same batches and loss)."""
    seconds = []
    for e in range(a.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(a.samples)
        for i in range(0, a.samples, a.batch):
            idx = perm[i:i + a.batch]
            p = fno_forward_reference(tparams, xs[idx], a.modes)
            t = ys[idx]
            loss = (torch.linalg.vector_norm((p - t).flatten(1), dim=1) /
                    torch.linalg.vector_norm(t.flatten(1), dim=1)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - t0)
    return seconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("twinsim")
    ap.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--width", type=int, default=20)
    ap.add_argument("--modes", type=int, default=12)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=1,
                    help="runs of each training, alternating; the figures are the medians")
    a = ap.parse_args()
    dev = torch.device("cuda" if a.device == "gpu" else "cpu")
    torch.set_num_threads(a.threads)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory() as tmp:
        # Synthetic smooth trajectories: 11 frames, so each sample is one window (10 in, 1 out).
        rng = np.random.default_rng(0)
        n = a.size
        k = np.fft.fftfreq(n, 1.0 / n)
        filt = np.exp(-(k[:, None] ** 2 + k[None, :] ** 2) / 32.0)
        noise = rng.standard_normal((a.samples, 11, n, n))
        data = np.real(np.fft.ifft2(np.fft.fft2(noise) * filt)) * 10
        path = os.path.join(tmp, "data.h5")
        with h5py.File(path, "w") as f:
            f["/vorticity/value"] = data
            f["/snapshot_time"] = np.arange(11.0)
        case = os.path.join(tmp, "bench.toml")
        with open(case, "w") as f:
            f.write(f"""[run]
name = "bench"
[data]
files = ["{path}"]
train_samples = {a.samples}
in_frames = 10
[model]
width = {a.width}
modes = {a.modes}
[optimizer]
schedule = "none"
[train]
epochs = {a.epochs}
batch = {a.batch}
precision = "float32"
""")
        out = os.path.join(tmp, "run")

        def twinsim_rate():
            subprocess.run([a.twinsim, "-q", "train", case, "--out", out, "--device", a.device,
                            "--overwrite"], check=True, env=env)
            with open(os.path.join(out, "history.csv")) as f:
                lines = f.read().strip().splitlines()
            col = lines[0].split(",").index("seconds [s]")  # each epoch's training time
            rows = [float(r.split(",")[col]) for r in lines[1:]]
            # The epochs after the first (plans and allocations are made in the first).
            seconds = rows[1:] or rows
            return a.samples / np.mean(seconds)

        ts_rates = [twinsim_rate()]

        # Same weights in PyTorch: compare outputs on the first batch of inputs.
        with h5py.File(os.path.join(out, "model.h5"), "r") as m:
            names = [s for s in m["/parameters"].attrs["names"] if ".adam_" not in s]
            params = {s: torch.tensor(m["/parameters"][s][...], dtype=torch.float64) for s in names}
            mean, std = m["/normalisation"].attrs["mean"], m["/normalisation"].attrs["std"]
        x = torch.tensor((data[:2, :10] - mean) / std, dtype=torch.float64)
        y_torch = fno_forward_reference(params, x, a.modes)
        # Twinsim's output for the same input: one rollout step of `twinsim predict`.
        pcase = os.path.join(tmp, "predict.toml")
        with open(pcase, "w") as f:
            f.write(open(case).read().replace(f"train_samples = {a.samples}",
                                              f"train_samples = 2") +
                    f'[predict]\nsamples = "train"\nmodel = "{os.path.join(out, "model.h5")}"\n')
        pout = os.path.join(tmp, "pred")
        subprocess.run([a.twinsim, "-q", "predict", pcase, "--out", pout, "--device", a.device],
                       check=True, env=env)
        with h5py.File(os.path.join(pout, "bench.h5"), "r") as h:
            y_ts = (h["/vorticity/value"][:, 10] - mean) / std
        diff = np.abs(y_ts - y_torch[:, 0].numpy()).max() / np.abs(y_torch.numpy()).max()

        # PyTorch training speed: the same model as trainable float32 parameters, fresh for
        # each repeat so every run trains the same steps.
        xs = torch.tensor((data[:, :10] - mean) / std, dtype=torch.float32, device=dev)
        ys = torch.tensor((data[:, 10:11] - mean) / std, dtype=torch.float32, device=dev)
        pt_rates = []
        for r in range(a.repeats):
            if r > 0:
                ts_rates.append(twinsim_rate())
            tparams = {s: torch.nn.Parameter(p.to(torch.float32).to(dev))
                       for s, p in params.items()}
            opt = torch.optim.Adam(tparams.values(), lr=1e-3, weight_decay=1e-4)
            seconds = pytorch_epoch_seconds(tparams, opt, xs, ys, a, dev)
            pt_rates.append(a.samples / np.mean(seconds[1:] or seconds))

    ts_rate, pt_rate = median(ts_rates), median(pt_rates)
    print(json.dumps({
        "model": f"FNO-2D width {a.width}, {a.modes} modes, {n}^2, batch {a.batch}",
        "device": a.device, "threads": a.threads, "pytorch": torch.__version__,
        "repeats": a.repeats,
        "twinsim_windows_per_s": ts_rate, "pytorch_windows_per_s": pt_rate,
        "twinsim_over_pytorch": ts_rate / pt_rate,
        "twinsim_runs": [round(v, 3) for v in ts_rates],
        "pytorch_runs": [round(v, 3) for v in pt_rates],
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "max_output_difference_relative": float(diff),
    }, indent=2))
    return 0 if diff < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
