"""Pixel-space DDPM on Fashion-MNIST: small UNet (32/64/64 channels, one residual block per level,
sinusoidal time embedding), T=1000 linear betas, epsilon prediction, simple loss, EMA weights exported.

Training is wall-time bounded and resumable:
  OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_ddpm_pixel.py --minutes 40           # fresh start
  OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_ddpm_pixel.py --resume --minutes 60  # continue
  OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_ddpm_pixel.py --from-onnx --minutes 60  # continue on a fresh clone
  OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_ddpm_pixel.py --export-only         # re-export EMA
--from-onnx starts both the weights and their EMA from the shipped graph (the EMA weights; the checkpoints are not in
the repository), with a fresh optimizer and the step count and time from its manifest. It checkpoints every --ckpt-every steps to models/train/checkpoints/ddpm_pixel.pt and exports models/fmnist-ddpm-pixel
when the time budget is spent (or on SIGTERM/SIGINT).
"""
import argparse, json, os, sys
import torch, torch.nn as nn, torch.nn.functional as F
from common import *

SEED = 7
T = 1000


class ResBlock(nn.Module):
    def __init__(self, cin, cout, tdim):
        super().__init__()
        self.n1 = nn.GroupNorm(8, cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.t = nn.Linear(tdim, cout)
        self.n2 = nn.GroupNorm(8, cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, te):
        h = self.c1(F.silu(self.n1(x))) + self.t(te)[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return self.skip(x) + h


class UNet(nn.Module):
    def __init__(self, ch=(32, 64, 64), tdim=128):
        super().__init__()
        c0, c1, c2 = ch
        self.tbase = 64
        self.t_mlp = nn.Sequential(nn.Linear(64, tdim), nn.SiLU(), nn.Linear(tdim, tdim), nn.SiLU())
        self.inp = nn.Conv2d(1, c0, 3, padding=1)
        self.d0 = ResBlock(c0, c0, tdim)                       # 28x28
        self.down0 = nn.Conv2d(c0, c1, 3, 2, 1)                # -> 14
        self.d1 = ResBlock(c1, c1, tdim)
        self.down1 = nn.Conv2d(c1, c2, 3, 2, 1)                # -> 7
        self.mid = ResBlock(c2, c2, tdim)
        self.up1 = nn.Conv2d(c2, c1, 3, padding=1)             # after nearest x2 -> 14
        self.u1 = ResBlock(c1 + c1, c1, tdim)
        self.up0 = nn.Conv2d(c1, c0, 3, padding=1)             # -> 28
        self.u0 = ResBlock(c0 + c0, c0, tdim)
        self.out_norm = nn.GroupNorm(8, c0)
        self.out = nn.Conv2d(c0, 1, 3, padding=1)

    def forward(self, x_t, t):
        return self.denoise(x_t, self.t_mlp(timestep_embedding(t, self.tbase)))

    def denoise(self, x_t, te):
        """The UNet under a conditioning vector te (the time embedding, plus a class's in the conditional model)."""
        h0 = self.d0(self.inp(x_t), te)
        h1 = self.d1(self.down0(h0), te)
        h = self.mid(self.down1(h1), te)
        h = self.up1(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.u1(torch.cat([h, h1], 1), te)
        h = self.up0(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.u0(torch.cat([h, h0], 1), te)
        return self.out(F.silu(self.out_norm(h)))


def load_pixel_denoiser():
    ck = load_ckpt("ddpm_pixel.pt")
    m = UNet(); m.load_state_dict(ck["ema"])
    return m.eval(), ck


def export(ck):
    net = UNet(); net.load_state_dict(ck["ema"]); net.eval()
    d = model_dir("fmnist-ddpm-pixel")
    xte, _ = load_tensors("t10k", (-1, 1))
    path = os.path.join(d, "denoiser.onnx")
    export_onnx(net, (torch.randn(2, 1, 28, 28), torch.tensor([10.0, 500.0])), ["x_t", "t"], ["eps"], path)
    groupnorm_as_layernorm(path)                        # same arithmetic in forms onnxruntime runs faster (common.py)
    size = single_output_conv_as_depthwise(path)
    _, abar = linear_schedule(T)
    g = torch.Generator().manual_seed(1357)
    def case(x0):
        b = len(x0)
        t = torch.randint(0, T, (b,), generator=g)
        a = abar[t][:, None, None, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn(x0.shape, generator=g)   # noised real test images
        return parity_case(net, {"x_t": xt, "t": t.float()}, ["eps"])
    write_json(os.path.join(d, "parity.json"), {"denoiser": [case(xte[:1]), case(xte[1:9])]}, indent=None)
    n = count_params(net)
    write_manifest("fmnist-ddpm-pixel", {
        "name": "Fashion-MNIST pixel diffusion",
        "kind": "diffusion",
        "description": "Small UNet (32/64/64 channels, one residual block per level, no attention) predicting epsilon for 28x28 images in [-1,1].",
        "image": {"channels": 1, "height": 28, "width": 28, "range": [-1, 1]},
        "graphs": {"denoiser": {"file": "denoiser.onnx",
                                "inputs": io_spec([("x_t", ["batch", 1, 28, 28]), ("t", ["batch"])]),
                                "outputs": io_spec([("eps", ["batch", 1, 28, 28])])}},
        "labels": LABELS,
        "diffusion": {"space": "pixel", "prediction": "epsilon",
                      "schedule": {"type": "linear", "timesteps": T, "betaStart": 0.0001, "betaEnd": 0.02}},
        "training": training_info("train_ddpm_pixel.py", SEED, round(ck.get("samples", ck["step"] * ck["bs"]) / 60000, 2), ck["seconds"],
                                  params=n, steps=ck["step"], batch=ck["bs"], ema=ck["ema_decay"], device=ck.get("device", "cpu (2 cores)"),
                                  optimizer="AdamW lr 1e-3 (500-step warm-up), grad clip 1.0, simple (epsilon MSE) loss",
                                  note="wall-time bounded; continue with --resume, or --from-onnx on a fresh clone"),
        "metrics": {"params": n, "onnxBytes": size},
    })
    log(f"exported pixel ddpm at step {ck['step']}: params {n} onnx {size} bytes")


def load_shipped(path, conditional=False):
    """The shipped graph's weights as the UNet's (or the class-conditional UNet's) state dict, mapped back by the bench's
    ONNX reader."""
    bench = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "bench")
    sys.path.insert(0, bench)
    import onnx, onnx_weights
    net, _ = onnx_weights.pixel_denoiser(torch, onnx, path, conditional=conditional)
    return net.state_dict()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=40)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--from-onnx", action="store_true")
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--bs", type=int, default=128)
    ap.add_argument("--ckpt-every", type=int, default=100)
    ap.add_argument("--export-every", type=int, default=1000)
    ap.add_argument("--no-export", action="store_true", help="checkpoint only; export later (a GPU machine's torch)")
    args = ap.parse_args()
    setup(SEED)
    if args.export_only:
        export(load_ckpt("ddpm_pixel.pt")); return
    dev = train_device()
    xtr, _ = load_tensors("train", (-1, 1))
    xtr = xtr.to(dev)
    _, abar = linear_schedule(T)
    abar = abar.to(dev)
    m = UNet().to(dev)
    ema = EMA(m, 0.999)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.0)
    gen = torch.Generator().manual_seed(SEED)
    step, prev, samples, devices = 0, 0.0, 0, device_name(dev)
    if args.resume:
        ck = load_ckpt("ddpm_pixel.pt")
        assert ck is not None, "no checkpoint to resume"
        m.load_state_dict(ck["model"]); ema.model.load_state_dict(ck["ema"])
        if "opt" in ck:                                 # a compact checkpoint (weights only) starts Adam afresh
            opt.load_state_dict(ck["opt"])
        gen.set_state(ck["gen"]); step, prev = ck["step"], ck["seconds"]
        samples = ck.get("samples", step * ck["bs"])
        devices = device_history(ck.get("device"), dev)
        log(f"resumed at step {step} ({prev:.0f}s)")
    elif args.from_onnx:
        d = model_dir("fmnist-ddpm-pixel")
        shipped = load_shipped(os.path.join(d, "denoiser.onnx"))
        m.load_state_dict(shipped); ema.model.load_state_dict(shipped)
        with open(os.path.join(d, "manifest.json")) as f:
            trained = json.load(f)["training"]
        step, prev = trained["steps"], trained["seconds"]
        samples = round(trained["epochs"] * 60000)
        devices = device_history(trained.get("device"), dev)
        gen.manual_seed(SEED + step)                    # not the first run's batches again
        log(f"continuing from the shipped graph at step {step} ({prev:.0f}s)")
    timer = Timer(prev)
    budget_end = time.time() + args.minutes * 60
    stop = stop_on_signal()

    def state():
        return {"model": m.state_dict(), "ema": ema.model.state_dict(), "opt": opt.state_dict(), "gen": gen.get_state(),
                "step": step, "seconds": timer.total(), "bs": args.bs, "ema_decay": 0.999, "samples": samples, "device": devices}

    print(f"params {count_params(m)}", flush=True)
    run = None
    while time.time() < budget_end and not stop["flag"]:
        idx = torch.randint(0, len(xtr), (args.bs,), generator=gen).to(dev)
        x0 = xtr[idx]
        x0 = torch.where(torch.rand(args.bs, generator=gen).to(dev)[:, None, None, None] < 0.5, x0.flip(3), x0)
        t = torch.randint(0, T, (args.bs,), generator=gen).to(dev)
        eps = torch.randn(x0.shape, generator=gen).to(dev)
        a = abar[t][:, None, None, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        for gparam in opt.param_groups:
            gparam["lr"] = 1e-3 * min(1.0, (step + 1) / 500)
        loss = F.mse_loss(m(xt, t.float()), eps)
        opt.zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        step += 1
        samples += args.bs
        ema.decay = min(0.999, (1 + step) / (10 + step))
        ema.update(m)
        run = loss.item() if run is None else 0.98 * run + 0.02 * loss.item()
        if step % args.ckpt_every == 0:
            save_ckpt("ddpm_pixel.pt", state())
            log(f"step {step} loss {run:.4f} epochs {step*args.bs/len(xtr):.2f} t {timer.total():.0f}s")
        if args.export_every and not args.no_export and step % args.export_every == 0:
            export(state())                     # interim export so the app always has a usable graph
    save_ckpt("ddpm_pixel.pt", state())
    log(f"stopping at step {step}")
    if not args.no_export:
        export(load_ckpt("ddpm_pixel.pt"))


if __name__ == "__main__":
    main()
