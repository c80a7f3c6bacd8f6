"""Class-conditional latent diffusion over fmnist-vae-spatial's [4, 7, 7] codes: a small convolutional
epsilon-predictor (ResNet blocks conditioned on the time and the class through their GroupNorms' scale and shift,
one self-attention block over the 49 positions), trained with null labels (10%, then 20%) so the app samples with
classifier-free guidance ("Sandal", guidance 2) or without a class (the null label).

It replaces the MLP over fmnist-vae's 16-d posterior means (train_ddpm_latent_cond.py, in git history): that decoder's blur
bounded every sample's FD at the reconstructions' 9.4, where fmnist-vae-spatial's reconstructions score near real data.

Run (after train_fmnist_vae_spatial.py):
  OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_ddpm_latent_spatial.py [--minutes 60] [--steps 16000]
Checkpoints every 3 minutes to checkpoints/ddpm_latent_spatial.pt; the same command resumes. --export-only re-exports.
"""
import argparse, json, math, os
import torch, torch.nn as nn, torch.nn.functional as F
from common import (EMA, LABELS, MODELS, Timer, WallClock, count_params, export_onnx, exported_weights, io_spec, linear_schedule, load_ckpt,
                    load_tensors, log, model_dir, parity_case, save_ckpt, setup, timestep_embedding, training_info, write_json, write_manifest)
from train_fmnist_vae_spatial import LATENT, load_vae_spatial, posterior_means, MID as DECODER

SEED = 17
MID = "fmnist-ddpm-latent-cond"
T = 1000
NULL = len(LABELS)  # index 10: no class
P_UNCOND = 0.1
GUIDANCE = 2.0  # at 3 the samples lose variety (FD 12.2 against 8.0 at 2; evaluate.py figures in models/train/README.md)
CKPT_NAME = "ddpm_latent_spatial.pt"


class CondResBlock(nn.Module):
    """GroupNorm, SiLU, conv; then GroupNorm scaled and shifted by the embedding (adaGN), SiLU, conv; plus the input."""

    def __init__(self, ch, emb):
        super().__init__()
        self.norm1 = nn.GroupNorm(8, ch)
        self.conv1 = nn.Conv2d(ch, ch, 3, 1, 1)
        self.emb = nn.Linear(emb, 2 * ch)
        self.norm2 = nn.GroupNorm(8, ch)
        self.conv2 = nn.Conv2d(ch, ch, 3, 1, 1)
        nn.init.zeros_(self.conv2.weight); nn.init.zeros_(self.conv2.bias)

    def forward(self, x, e):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(e)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        return x + self.conv2(F.silu(h))


class Attention(nn.Module):
    """Self-attention over the 7 x 7 positions, written with MatMul and Softmax (what every runtime has)."""

    def __init__(self, ch, heads=4):
        super().__init__()
        self.heads, self.scale = heads, 1.0 / math.sqrt(ch // heads)
        self.norm = nn.GroupNorm(8, ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = nn.Conv2d(ch, ch, 1)
        nn.init.zeros_(self.proj.weight); nn.init.zeros_(self.proj.bias)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, self.heads, c // self.heads, h * w).unbind(1)
        att = torch.softmax(q.transpose(-1, -2) @ k * self.scale, dim=-1)
        out = (v @ att.transpose(-1, -2)).reshape(b, c, h, w)
        return x + self.proj(out)


class SpatialDenoiser(nn.Module):
    # 64 channels (0.55 M parameters, 2.2 MB): the bundled models' graphs stay under 60 MB together (packaging.test.ts).
    def __init__(self, ch=64, blocks=4, emb=256, temb=128):
        super().__init__()
        self.temb_dim = temb
        self.t_mlp = nn.Sequential(nn.Linear(temb, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.label = nn.Embedding(NULL + 1, emb)
        self.conv_in = nn.Conv2d(LATENT[0], ch, 3, 1, 1)
        self.blocks = nn.ModuleList([CondResBlock(ch, emb) for _ in range(blocks)])
        self.attn = Attention(ch)
        self.norm_out = nn.GroupNorm(8, ch)
        self.conv_out = nn.Conv2d(ch, LATENT[0], 3, 1, 1)

    def forward(self, x_t, t, y):
        e = F.silu(self.t_mlp(timestep_embedding(t.float(), self.temb_dim)) + self.label(y.long()))
        h = self.conv_in(x_t)
        half = len(self.blocks) // 2
        for i, block in enumerate(self.blocks):
            if i == half:
                h = self.attn(h)
            h = block(h, e)
        return self.conv_out(F.silu(self.norm_out(h)))


def load_cond_denoiser(exported_ok=False):
    """The EMA network, its latent scale and the checkpoint's counters. Without the (git-ignored) checkpoint and with
    exported_ok, the network of the shipped graph (its initializers by name, GroupNorms mapped back) and the manifest's figures."""
    ck = load_ckpt(CKPT_NAME)
    m = SpatialDenoiser()
    if ck:
        m.load_state_dict(ck["ema"])
        return m.eval(), ck["scale"], ck
    if not exported_ok:
        raise SystemExit(f"no {CKPT_NAME} checkpoint: train first")
    ow, onnx = exported_weights()
    m, _ = ow.with_group_norms(torch, onnx, m, os.path.join(MODELS, MID, "denoiser.onnx"))
    man = json.load(open(os.path.join(MODELS, MID, "manifest.json")))
    return m.eval(), man["diffusion"]["latentScale"], {"step": man["training"]["steps"]}


def export(net, scale, ck):
    d = model_dir(MID)
    g = torch.Generator().manual_seed(4321)
    x = torch.randn(2, *LATENT, generator=g)
    t, y = torch.tensor([10, 900]), torch.tensor([5, NULL])
    size = export_onnx(net, (x, t, y), ["x_t", "t", "y"], ["eps"], os.path.join(d, "denoiser.onnx"))

    def case(b):
        return parity_case(net, {"x_t": torch.randn(b, *LATENT, generator=g), "t": torch.randint(0, T, (b,), generator=g),
                                 "y": torch.randint(0, NULL + 1, (b,), generator=g)}, ["eps"])
    write_json(os.path.join(d, "parity.json"), {"denoiser": [case(1), case(8)]}, indent=None)
    n = count_params(net)
    shape = ["batch", *LATENT]
    write_manifest(MID, {
        "name": "Fashion-MNIST latent diffusion, class-conditional",
        "kind": "diffusion",
        "description": "Ask for a class (\"Sandal\"): a small convolutional epsilon-predictor over fmnist-vae-spatial's [4, 7, 7] codes, conditioned on the time and the class; classifier-free guidance through a null label (index 10), which also samples without a class.",
        "image": {"channels": 1, "height": 28, "width": 28, "range": [0, 1]},
        "latent": {"shape": list(LATENT), "prior": "standard-normal"},
        "graphs": {"denoiser": {"file": "denoiser.onnx",
                                "inputs": io_spec([("x_t", shape)]) + [{"name": "t", "shape": ["batch"], "dtype": "int64"}, {"name": "y", "shape": ["batch"], "dtype": "int64"}],
                                "outputs": io_spec([("eps", shape)])}},
        "labels": LABELS,
        "diffusion": {"space": "latent", "prediction": "epsilon",
                      "schedule": {"type": "linear", "timesteps": T, "betaStart": 0.0001, "betaEnd": 0.02},
                      "decoder": DECODER, "latentScale": round(scale, 6),
                      "conditioning": {"input": "y", "encoding": "index", "labels": LABELS, "nullLabel": NULL, "guidance": GUIDANCE}},
        "training": training_info("train_ddpm_latent_spatial.py", SEED, round(ck["step"] * ck["bs"] / 60000, 2), round(ck["seconds"]), params=n,
                                  steps=ck["step"], batch=ck["bs"], ema=0.999,
                                  data=f"{DECODER} posterior means of Fashion-MNIST train (60,000) with their classes",
                                  architecture="conv: 64 channels, 4 ResNet blocks with adaGN (time + class), self-attention over 7x7",
                                  loss="epsilon MSE, 10% null label to step 16,000, then 20% (the null label's samples lagged) to step 50,000",
                                  optimizer="AdamW 5e-4, cosine to 5e-5 over 16,000 steps, then again over 22,000 from step 16,000, over 36,000 from step 22,000 and over 50,000 from step 36,000 (warm restarts)"),
        "metrics": {"params": n, "onnxBytes": size},
    })
    log(f"exported {MID}: params {n}, onnx {size} bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=16000)
    ap.add_argument("--bs", type=int, default=128)
    ap.add_argument("--minutes", type=float, default=60, help="stop (checkpointed) after this much wall time in this run")
    ap.add_argument("--p-uncond", type=float, default=P_UNCOND, help="share of null labels (the shipped model: 0.1 to step 16,000, then 0.2)")
    ap.add_argument("--export-only", action="store_true")
    args = ap.parse_args()
    setup(SEED)
    if args.export_only:
        net, scale, ck = load_cond_denoiser()
        return export(net, scale, ck)
    enc, _ = load_vae_spatial()  # a fresh clone: the shipped encoder (the checkpoint's EMA weights, exported)
    xtr, ytr = load_tensors("train")
    with torch.no_grad():
        z = posterior_means(enc, xtr)
    scale = float(1.0 / z.std())
    z = z * scale
    _, abar = linear_schedule(T)
    m = SpatialDenoiser()
    ema = EMA(m, 0.999)
    opt = torch.optim.AdamW(m.parameters(), lr=5e-4, weight_decay=0.0)
    gen = torch.Generator().manual_seed(SEED)
    step, timer = 0, Timer()
    ck = load_ckpt(CKPT_NAME)
    if ck:
        m.load_state_dict(ck["model"]); ema.model.load_state_dict(ck["ema"]); opt.load_state_dict(ck["opt"])
        gen.set_state(ck["gen"]); step, timer = ck["step"], Timer(ck["seconds"])
        log(f"resumed at step {step} ({timer.total():.0f} s)")
    run = 0.0

    def checkpoint():
        save_ckpt(CKPT_NAME, {"model": m.state_dict(), "ema": ema.model.state_dict(), "opt": opt.state_dict(),
                              "gen": gen.get_state(), "step": step, "seconds": timer.total(), "scale": scale, "bs": args.bs})

    clock = WallClock(args.minutes, checkpoint)
    while step < args.steps:
        # Cosine from 5e-4 to 5e-5 over the planned steps, after a 300-step warm-up.
        for g in opt.param_groups:
            g["lr"] = 5e-4 * min(1.0, (step + 1) / 300) * (0.1 + 0.45 * (1 + math.cos(math.pi * min(step / args.steps, 1.0))))
        idx = torch.randint(0, len(z), (args.bs,), generator=gen)
        x0, y = z[idx], ytr[idx].clone()
        y[torch.rand(args.bs, generator=gen) < args.p_uncond] = NULL
        t = torch.randint(0, T, (args.bs,), generator=gen)
        eps = torch.randn(x0.shape, generator=gen)
        a = abar[t][:, None, None, None]
        loss = F.mse_loss(m(a.sqrt() * x0 + (1 - a).sqrt() * eps, t, y), eps)
        opt.zero_grad(); loss.backward(); opt.step(); ema.update(m)
        step += 1
        run = 0.99 * run + 0.01 * loss.item() if run else loss.item()
        if step % 250 == 0:
            log(f"step {step} loss {run:.4f} t {timer.total():.0f}s")
        if clock.tick(f"step {step}"):
            return
    checkpoint()
    net, scale, ck = load_cond_denoiser()
    export(net, scale, ck)


if __name__ == "__main__":
    main()
