"""Class-conditional latent DDPM: fmnist-ddpm-latent's MLP epsilon-predictor with a label embedding added to the
time embedding, trained with 10% null labels so the app samples with classifier-free guidance ("Sandal", guidance 3)
or without a class (the null label). Over the same fmnist-vae posterior means and scale.

Run (after train_vae.py): OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_ddpm_latent_cond.py
Checkpoints every 1,000 steps to checkpoints/ddpm_latent_cond.pt; the same command resumes. --export-only re-exports.
"""
import argparse, json, os
import torch, torch.nn as nn, torch.nn.functional as F
from common import *
from train_vae import load_vae, D
from train_ddpm_latent import LatentDenoiser, T

SEED = 5
MID = "fmnist-ddpm-latent-cond"
NULL = len(LABELS)  # index 10: no class
P_UNCOND = 0.1
GUIDANCE = 3.0
CKPT_NAME = "ddpm_latent_cond.pt"


class ConditionalLatentDenoiser(LatentDenoiser):
    """The time embedding plus a learned embedding of the class (or of the null label) conditions every block."""

    def __init__(self, width=256, **kw):
        # Narrower than the unconditional model's 384 (0.9 M parameters, 3.6 MB): the bundled models stay under 60 MB.
        super().__init__(width=width, **kw)
        self.label = nn.Embedding(NULL + 1, width)

    def forward(self, x_t, t, y):
        return self.denoise(x_t, self.t_mlp(timestep_embedding(t.float(), self.temb_dim)) + self.label(y.long()))


class Guided(nn.Module):
    """eps = eps(x, null) + w (eps(x, y) - eps(x, null)): what the app computes, for sampling in evaluate.py."""

    def __init__(self, net, y, w):
        super().__init__()
        self.net, self.y, self.w = net, y, w

    def forward(self, x, t):
        t = t.long()
        e_c = self.net(x, t, self.y)
        e_u = self.net(x, t, torch.full_like(self.y, NULL))
        return e_u + self.w * (e_c - e_u)


def load_cond_denoiser(exported_ok=False):
    """The EMA network, its latent scale and the checkpoint's counters. Without the (git-ignored) checkpoint and with
    exported_ok, the network of the shipped graph (its initializers by name) and the manifest's figures."""
    ck = load_ckpt(CKPT_NAME)
    m = ConditionalLatentDenoiser()
    if ck:
        m.load_state_dict(ck["ema"])
        return m.eval(), ck["scale"], ck
    if not exported_ok:
        raise SystemExit(f"no {CKPT_NAME} checkpoint: train first")
    ow, onnx = exported_weights()
    ld = ow.Loader(torch, m, ow.OnnxGraph(onnx, os.path.join(MODELS, MID, "denoiser.onnx")))
    ld.by_name()
    m, _ = ld.finish()
    man = json.load(open(os.path.join(MODELS, MID, "manifest.json")))
    return m, man["diffusion"]["latentScale"], {"step": man["training"]["steps"]}


def export(net, scale, ck):
    d = model_dir(MID)
    x = torch.randn(2, D, generator=torch.Generator().manual_seed(1))
    t, y = torch.tensor([10, 900]), torch.tensor([5, NULL])
    size = export_onnx(net, (x, t, y), ["x_t", "t", "y"], ["eps"], os.path.join(d, "denoiser.onnx"))
    g = torch.Generator().manual_seed(4321)
    def case(b):
        return parity_case(net, {"x_t": torch.randn(b, D, generator=g), "t": torch.randint(0, T, (b,), generator=g),
                                 "y": torch.randint(0, NULL + 1, (b,), generator=g)}, ["eps"])
    write_json(os.path.join(d, "parity.json"), {"denoiser": [case(1), case(8)]}, indent=None)
    n = count_params(net)
    write_manifest(MID, {
        "name": "Fashion-MNIST latent diffusion, class-conditional",
        "kind": "diffusion",
        "description": "Ask for a class (\"Sandal\"): fmnist-ddpm-latent's MLP epsilon-predictor over the 16-d posterior means of fmnist-vae, with a class embedding added to the time embedding; classifier-free guidance through a null label (index 10), which also samples without a class.",
        "image": {"channels": 1, "height": 28, "width": 28, "range": [0, 1]},
        "latent": {"shape": [D], "prior": "standard-normal"},
        "graphs": {"denoiser": {"file": "denoiser.onnx",
                                "inputs": io_spec([("x_t", ["batch", D])]) + [{"name": "t", "shape": ["batch"], "dtype": "int64"}, {"name": "y", "shape": ["batch"], "dtype": "int64"}],
                                "outputs": io_spec([("eps", ["batch", D])])}},
        "labels": LABELS,
        "diffusion": {"space": "latent", "prediction": "epsilon",
                      "schedule": {"type": "linear", "timesteps": T, "betaStart": 0.0001, "betaEnd": 0.02},
                      "decoder": "fmnist-vae", "latentScale": round(scale, 6),
                      "conditioning": {"input": "y", "encoding": "index", "labels": LABELS, "nullLabel": NULL, "guidance": GUIDANCE}},
        "training": training_info("train_ddpm_latent_cond.py", SEED, round(ck["step"] * ck["bs"] / 60000, 2), round(ck["seconds"]), params=n,
                                  steps=ck["step"], batch=ck["bs"], ema=0.999,
                                  data="fmnist-vae posterior means of Fashion-MNIST train (60,000) with their classes",
                                  loss=f"epsilon MSE, {int(P_UNCOND * 100)}% null label",
                                  optimizer="AdamW one-cycle max lr 1e-3"),
        "metrics": {"params": n, "onnxBytes": size},
    })
    log(f"exported {MID}: params {n}, onnx {size} bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=15000)
    ap.add_argument("--bs", type=int, default=256)
    ap.add_argument("--export-only", action="store_true")
    args = ap.parse_args()
    setup(SEED)
    if args.export_only:
        net, scale, ck = load_cond_denoiser()
        return export(net, scale, ck)
    enc, _ = load_vae()
    xtr, ytr = load_tensors("train")
    with torch.no_grad():
        z = torch.cat([enc(xtr[i:i + 2000])[0] for i in range(0, len(xtr), 2000)])
    scale = float(1.0 / z.std())
    z = z * scale
    _, abar = linear_schedule(T)
    m = ConditionalLatentDenoiser()
    ema = EMA(m, 0.999)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=args.steps, pct_start=0.05)
    gen = torch.Generator().manual_seed(SEED)
    step, seconds = 0, 0.0
    ck = load_ckpt(CKPT_NAME)
    if ck and ck["step"] < args.steps:
        m.load_state_dict(ck["model"]); ema.model.load_state_dict(ck["ema"]); opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"]); gen.set_state(ck["gen"]); step, seconds = ck["step"], ck["seconds"]
        log(f"resumed at step {step} ({seconds:.0f} s)")
    timer = Timer()
    run = 0.0

    def save():
        save_ckpt(CKPT_NAME, {"model": m.state_dict(), "ema": ema.model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                              "gen": gen.get_state(), "step": step, "seconds": seconds + timer.total(), "scale": scale, "bs": args.bs})

    while step < args.steps:
        step += 1
        idx = torch.randint(0, len(z), (args.bs,), generator=gen)
        x0, y = z[idx], ytr[idx].clone()
        y[torch.rand(args.bs, generator=gen) < P_UNCOND] = NULL
        t = torch.randint(0, T, (args.bs,), generator=gen)
        eps = torch.randn(x0.shape, generator=gen)
        a = abar[t][:, None]
        loss = F.mse_loss(m(a.sqrt() * x0 + (1 - a).sqrt() * eps, t, y), eps)
        opt.zero_grad(); loss.backward(); opt.step(); sched.step(); ema.update(m)
        run = 0.99 * run + 0.01 * loss.item() if run else loss.item()
        if step % 1000 == 0:
            save()
            log(f"step {step} loss {run:.4f} t {seconds + timer.total():.0f}s")
    save()
    net, scale, ck = load_cond_denoiser()
    export(net, scale, ck)


if __name__ == "__main__":
    main()
