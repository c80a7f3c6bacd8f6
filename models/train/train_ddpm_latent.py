"""Latent DDPM: MLP epsilon-predictor over the fmnist-vae posterior means (scaled to ~unit variance).

Run (after train_vae.py): OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_ddpm_latent.py [--steps 12000]
"""
import argparse, os
import torch, torch.nn as nn, torch.nn.functional as F
from common import *
from train_vae import load_vae, D

SEED = 3
T = 1000


class LatentDenoiser(nn.Module):
    def __init__(self, d=D, width=384, blocks=4, temb=128):
        super().__init__()
        self.temb_dim = temb
        self.t_mlp = nn.Sequential(nn.Linear(temb, width), nn.SiLU(), nn.Linear(width, width))
        self.inp = nn.Linear(d, width)
        self.blocks = nn.ModuleList()
        for _ in range(blocks):
            self.blocks.append(nn.ModuleDict({"norm": nn.LayerNorm(width), "l1": nn.Linear(width, width),
                                              "t": nn.Linear(width, width), "l2": nn.Linear(width, width)}))
        self.out_norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, d)

    def forward(self, x_t, t):
        return self.denoise(x_t, self.t_mlp(timestep_embedding(t, self.temb_dim)))

    def denoise(self, x_t, te):
        """The residual blocks, each conditioned on the embedding te (of the time, or of the time and a class)."""
        h = self.inp(x_t)
        for b in self.blocks:
            u = F.silu(b["l1"](b["norm"](h)) + b["t"](F.silu(te)))
            h = h + b["l2"](u)
        return self.out(F.silu(self.out_norm(h)))


class TabledLatentDenoiser(nn.Module):
    """The same network as exported for the app: everything that depends only on the integer
    timestep (the sinusoidal embedding, the time MLP and each block's projection of it) is
    precomputed for t = 0..T-1 into one table per block and gathered by t. A run is then a few
    tiny kernels shorter, which is what the batch-1 latency is made of (docs/PERFORMANCE.md)."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        with torch.no_grad():
            te = F.silu(net.t_mlp(timestep_embedding(torch.arange(T, dtype=torch.float32), net.temb_dim)))
            for i, b in enumerate(net.blocks):
                self.register_buffer(f"table{i}", b["t"](te).contiguous())

    def forward(self, x_t, t):
        idx = torch.round(t).long()
        h = self.net.inp(x_t)
        for i, b in enumerate(self.net.blocks):
            u = F.silu(b["l1"](b["norm"](h)) + getattr(self, f"table{i}")[idx])
            h = h + b["l2"](u)
        return self.net.out(F.silu(self.net.out_norm(h)))


def export_denoiser(net, path):
    return export_onnx(TabledLatentDenoiser(net).eval(), (torch.randn(2, D), torch.tensor([10.0, 500.0])), ["x_t", "t"], ["eps"], path)


def load_latent_denoiser():
    """The EMA network and its latent scale: from the (git-ignored) final checkpoint, or on a fresh clone the tabled
    network of the shipped graph (its initializers by name) and the manifest's scale."""
    path = os.path.join(CKPT, "ddpm_latent_final.pt")
    if os.path.exists(path):
        sd = torch.load(path)
        m = LatentDenoiser(); m.load_state_dict(sd["ema"])
        return m.eval(), sd["scale"]
    import json
    ow, onnx = exported_weights()
    m, _ = ow.latent_denoiser(torch, onnx, os.path.join(MODELS, "fmnist-ddpm-latent", "denoiser.onnx"))
    return m.eval(), json.load(open(os.path.join(MODELS, "fmnist-ddpm-latent", "manifest.json")))["diffusion"]["latentScale"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=12000)
    ap.add_argument("--bs", type=int, default=256)
    ap.add_argument("--export-only", action="store_true", help="re-export denoiser.onnx from the saved checkpoint")
    args = ap.parse_args()
    if args.export_only:
        net, _ = load_latent_denoiser()
        path = os.path.join(model_dir("fmnist-ddpm-latent"), "denoiser.onnx")
        log(f"re-exported {path}: {export_denoiser(net, path)} bytes")
        return
    setup(SEED)
    enc, _ = load_vae()
    xtr, _ = load_tensors("train")
    with torch.no_grad():
        z = torch.cat([enc(xtr[i:i + 2000])[0] for i in range(0, len(xtr), 2000)])
    scale = float(1.0 / z.std())
    z = z * scale
    log(f"latents {tuple(z.shape)} scale {scale:.4f} mean {z.mean():.3f} per-dim std {z.std(0).min():.3f}..{z.std(0).max():.3f}")
    _, abar = linear_schedule(T)
    m = LatentDenoiser()
    ema = EMA(m, 0.999)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=args.steps, pct_start=0.05)
    gen = torch.Generator().manual_seed(SEED)
    timer = Timer()
    run = 0.0
    for step in range(1, args.steps + 1):
        idx = torch.randint(0, len(z), (args.bs,), generator=gen)
        x0 = z[idx]
        t = torch.randint(0, T, (args.bs,), generator=gen)
        eps = torch.randn(x0.shape, generator=gen)
        a = abar[t][:, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        loss = F.mse_loss(m(xt, t.float()), eps)
        opt.zero_grad(); loss.backward(); opt.step(); sched.step(); ema.update(m)
        run = 0.99 * run + 0.01 * loss.item()
        if step % 1000 == 0:
            log(f"step {step} loss {run:.4f} t {timer.total():.0f}s")
    seconds = timer.total()
    net = ema.model.eval()
    torch.save({"ema": net.state_dict(), "model": m.state_dict(), "scale": scale, "seconds": seconds, "steps": args.steps},
               os.path.join(CKPT, "ddpm_latent_final.pt"))
    d = model_dir("fmnist-ddpm-latent")
    size = export_denoiser(net, os.path.join(d, "denoiser.onnx"))
    g = torch.Generator().manual_seed(4321)
    def case(b):
        return parity_case(net, {"x_t": torch.randn(b, D, generator=g),
                                 "t": torch.randint(0, T, (b,), generator=g).float()}, ["eps"])
    write_json(os.path.join(d, "parity.json"), {"denoiser": [case(1), case(8)]}, indent=None)
    n = count_params(net)
    write_manifest("fmnist-ddpm-latent", {
        "name": "Fashion-MNIST latent diffusion",
        "kind": "diffusion",
        "description": "MLP epsilon-predictor (sinusoidal time embedding, 4 residual blocks) over the 16-d posterior means of fmnist-vae; decode x_0 / latentScale with fmnist-vae. The exported graph gathers each block's time projection from a table by integer t.",
        "image": {"channels": 1, "height": 28, "width": 28, "range": [0, 1]},
        "latent": {"shape": [D], "prior": "standard-normal"},
        "graphs": {"denoiser": {"file": "denoiser.onnx",
                                "inputs": io_spec([("x_t", ["batch", D]), ("t", ["batch"])]),
                                "outputs": io_spec([("eps", ["batch", D])])}},
        "labels": LABELS,
        "diffusion": {"space": "latent", "prediction": "epsilon",
                      "schedule": {"type": "linear", "timesteps": T, "betaStart": 0.0001, "betaEnd": 0.02},
                      "decoder": "fmnist-vae", "latentScale": round(scale, 6)},
        "training": training_info("train_ddpm_latent.py", SEED, round(args.steps * args.bs / len(z), 2), seconds, params=n,
                                  steps=args.steps, batch=args.bs, ema=0.999,
                                  data="fmnist-vae posterior means of Fashion-MNIST train (60,000)",
                                  optimizer="AdamW one-cycle max lr 1e-3, simple (epsilon MSE) loss"),
        "metrics": {"params": n, "onnxBytes": size},
    })
    log(f"done latent ddpm: params {n} onnx {size} {seconds:.0f}s")


if __name__ == "__main__":
    main()
