"""emoji-dit: a class-conditional DiT (Peebles & Xie 2023) over emoji-vae's latent [4, 16, 16].

Run (after train_emoji_vae.py has exported models/emoji-vae):
    OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_emoji_dit.py [--minutes 30] [--steps 60000]
    (again with the same command to continue from models/train/checkpoints/emoji_dit.pt, or from resume/emoji_dit.pt on a
     fresh clone; --export-only exports its EMA; --save-resume writes that committed copy)
The VAE's weights are read from models/emoji-vae/encoder.onnx, so the latents come from the graph the app runs.

Model: patchify 4x4 (16 tokens of 64 values; --patch 2 gives 64 tokens of 16 values, three times the cost a step,
for a machine with a GPU), hidden 128, 6 blocks of multi-head self-attention (4 heads) and an MLP (ratio 4), each modulated by adaLN-Zero from the sum of a timestep embedding and a label embedding; a final
adaLN layer and a linear unpatchify. One label names a design system and a category (4 x 9 = 36 classes, index
system * 9 + category) so the app's single class input asks for both; index 36 is the null label, used for 10% of
training samples, which gives classifier-free guidance. Epsilon prediction under Stable Diffusion's scaled-linear
schedule (1000 steps, beta 0.00085 to 0.012); AdamW 2e-4 after a 500-step warm-up, batch 64, EMA 0.9995 (exported).
1.9 M parameters (7.6 MB exported), so all the bundled models stay under 60 MB together; on 2 CPU cores a step of
batch 64 takes about 0.5 s at patch 4.
"""
import argparse, json, os
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
from common import (EMA, MODELS, ROOT, Timer, WallClock, count_params, device_history, device_name, export_onnx, io_spec, log, model_dir, parity_case,
                    save_ckpt, load_ckpt, setup, timestep_embedding, train_device, write_json, write_manifest)
from common import save_resume as common_save_resume
from train_emoji_vae import LATENT, from_exported, load_split

SEED = 12
MID = "emoji-dit"
T = 1000
SYSTEMS, CATEGORIES = 4, 9
NULL = SYSTEMS * CATEGORIES
# The app's default guidance scale. DDIM-50 at step 18,548 (evaluate_emoji.py, one sample per test image): guidance 4
# pair agreement 15.2%, FD 23.37; 7: 19.2%, FD 22.43; 10 (measured on the checkpoint's float16 weights): 19.6%, FD 26.82.
GUIDANCE = 7
DEVICE = train_device()


def scaled_linear_alphas_cumprod(beta_start=0.00085, beta_end=0.012):
    betas = torch.linspace(beta_start ** 0.5, beta_end ** 0.5, T, dtype=torch.float64) ** 2
    return torch.cumprod(1 - betas, 0).float()


def modulate(x, shift, scale):
    return x * (1 + scale[:, None]) + shift[:, None]


class Block(nn.Module):
    def __init__(self, hidden, heads, mlp_ratio=4):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(hidden, eps=1e-6)
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.proj = nn.Linear(hidden, hidden)
        self.norm2 = nn.LayerNorm(hidden, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(hidden, mlp_ratio * hidden), nn.GELU(approximate="tanh"), nn.Linear(mlp_ratio * hidden, hidden))
        self.ada = nn.Linear(hidden, 6 * hidden)
        nn.init.zeros_(self.ada.weight); nn.init.zeros_(self.ada.bias)      # adaLN-Zero: every block starts as the identity

    def attention(self, x):
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        w = (q @ k.transpose(-2, -1)) * (c // self.heads) ** -0.5
        return self.proj((w.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c))

    def forward(self, x, c):
        s1, g1, a1, s2, g2, a2 = self.ada(F.silu(c)).chunk(6, dim=1)
        x = x + a1[:, None] * self.attention(modulate(self.norm1(x), s1, g1))
        return x + a2[:, None] * self.mlp(modulate(self.norm2(x), s2, g2))


class DiT(nn.Module):
    def __init__(self, hidden=128, depth=6, heads=4, patch=4, channels=LATENT[0], size=LATENT[1]):
        super().__init__()
        self.patch, self.channels, self.size = patch, channels, size
        self.tokens = (size // patch) ** 2
        self.embed = nn.Linear(channels * patch * patch, hidden)
        self.pos = nn.Parameter(torch.from_numpy(sincos_2d(hidden, size // patch)).float()[None], requires_grad=False)
        self.t_mlp = nn.Sequential(nn.Linear(256, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.label = nn.Embedding(NULL + 1, hidden)
        self.blocks = nn.ModuleList(Block(hidden, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(hidden, eps=1e-6)
        self.ada = nn.Linear(hidden, 2 * hidden)
        self.out = nn.Linear(hidden, channels * patch * patch)
        for m in (self.ada, self.out):
            nn.init.zeros_(m.weight); nn.init.zeros_(m.bias)

    def forward(self, x, t, y):
        b, p, g = x.shape[0], self.patch, self.size // self.patch
        tokens = x.reshape(b, self.channels, g, p, g, p).permute(0, 2, 4, 1, 3, 5).reshape(b, g * g, self.channels * p * p)
        h = self.embed(tokens) + self.pos
        c = self.t_mlp(timestep_embedding(t.float(), 256)) + self.label(y)
        for block in self.blocks:
            h = block(h, c)
        shift, scale = self.ada(F.silu(c)).chunk(2, dim=1)
        out = self.out(modulate(self.norm(h), shift, scale))
        return out.reshape(b, g, g, self.channels, p, p).permute(0, 3, 1, 4, 2, 5).reshape(b, self.channels, self.size, self.size)


def sincos_2d(dim, grid):
    """Fixed 2-D sine-cosine position embeddings, as DiT uses: half the channels for each axis."""
    def one(d, pos):
        omega = 1.0 / 10000 ** (np.arange(d // 2, dtype=np.float64) / (d / 2))
        out = np.outer(pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)
    ys, xs = np.meshgrid(np.arange(grid, dtype=np.float64), np.arange(grid, dtype=np.float64), indexing="ij")
    return np.concatenate([one(dim // 2, ys), one(dim // 2, xs)], axis=1)


def load_vae_from_onnx():
    """emoji-vae's encoder from its exported graph, so the latents are those of the graph the app runs, and the
    latent scale from its manifest."""
    encoder, how = from_exported("encoder")
    log(f"emoji-vae encoder from {how}")
    manifest = json.load(open(os.path.join(MODELS, "emoji-vae", "manifest.json")))
    return encoder, manifest["training"]["latentScale"]


@torch.no_grad()
def latents(encoder, x, scale):
    """Posterior means of the images and of their mirror images, scaled to about unit variance."""
    device = next(encoder.parameters()).device
    out = [encoder(torch.cat([x[i:i + 256], x[i:i + 256].flip(3)]).to(device))[0] for i in range(0, len(x), 256)]
    return torch.cat(out) * scale


def class_index(system, category):
    return system * CATEGORIES + category


def export(net, scale, seconds, steps, category_names, system_names, weights="ema", device="cpu (2 cores)", batch=64):
    d = model_dir(MID)
    net = net.cpu().eval()
    g = torch.Generator().manual_seed(1234)
    x = torch.randn(2, *LATENT, generator=g)
    t = torch.tensor([10, 900], dtype=torch.int64)
    y = torch.tensor([0, NULL], dtype=torch.int64)
    size = export_onnx(net, (x, t, y), ["x", "t", "y"], ["eps"], os.path.join(d, "denoiser.onnx"))
    write_json(os.path.join(d, "parity.json"), {"denoiser": [
        parity_case(net, {"x": x[:1], "t": t[:1], "y": y[:1]}, ["eps"]),
        parity_case(net, {"x": torch.randn(4, *LATENT, generator=g), "t": torch.tensor([0, 250, 500, 999]), "y": torch.tensor([3, 17, 35, NULL])}, ["eps"]),
    ]}, indent=None)
    labels = [f"{s} · {c}" for s in system_names for c in category_names]
    nparams = count_params(net)
    write_manifest(MID, {
        "name": "Emoji DiT",
        "kind": "diffusion",
        "description": "A class-conditional diffusion transformer over emoji-vae's latent [4, 16, 16]: ask for a design system and a category; classifier-free guidance through a null label.",
        "image": {"channels": 3, "height": 64, "width": 64, "range": [-1, 1]},
        "latent": {"shape": list(LATENT), "prior": "standard-normal"},
        "graphs": {"denoiser": {"file": "denoiser.onnx",
                                "inputs": io_spec([("x", ["batch", *LATENT])]) + [{"name": "t", "shape": ["batch"], "dtype": "int64"}, {"name": "y", "shape": ["batch"], "dtype": "int64"}],
                                "outputs": io_spec([("eps", ["batch", *LATENT])])}},
        "diffusion": {"space": "latent", "decoder": "emoji-vae", "latentScale": scale, "prediction": "epsilon",
                      "schedule": {"type": "scaled_linear", "timesteps": T, "betaStart": 0.00085, "betaEnd": 0.012}, "spacing": "trailing",
                      "conditioning": {"input": "y", "encoding": "index", "labels": labels, "nullLabel": NULL, "guidance": GUIDANCE}},
        "training": {"data": "emoji-64 train split (scripts/emoji-dataset.mjs), encoded by emoji-vae", "script": "models/train/train_emoji_dit.py",
                     "seed": SEED, "steps": steps, "seconds": int(round(seconds)), "torch": torch.__version__.split("a")[0].split("+")[0],
                     "device": device, "params": nparams, "architecture": f"DiT: patch {net.patch}, hidden {net.embed.out_features}, {len(net.blocks)} blocks, {net.blocks[0].heads} heads, adaLN-Zero",
                     "loss": "epsilon MSE, 10% null label",
                     "optimizer": f"AdamW 2e-4 after a 500-step warm-up, batch {batch}, EMA 0.9995",
                     "exported": "the EMA weights" if weights == "ema" else "the training weights (the EMA still averaged in early steps)"},
        "metrics": {"params": nparams, "onnxBytes": size},
    })
    log(f"exported {MID}: {nparams} params, {size} bytes")


def save_resume():
    """The committed copy a fresh clone goes on from: weights and EMA in float16 (7.6 MB instead of 23 MB with Adam's
    moments), the sampler's state, the step and the time."""
    ck = common_save_resume("emoji_dit.pt", ("net", "ema"), ("gen", "step", "seconds", "patch", "device", "bs"))
    log(f"at step {ck['step']}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60000)
    ap.add_argument("--minutes", type=float, default=30, help="stop (checkpointed) after this much wall time in this run")
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--patch", type=int, default=4, choices=[2, 4], help="a new run's patch size (a resumed run keeps its own)")
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--fresh", action="store_true", help="start a new run (e.g. --patch 2 on a GPU) whatever checkpoint exists")
    ap.add_argument("--weights", choices=["ema", "net"], default="ema", help="which weights --export-only exports (a short run's EMA still holds its early steps)")
    ap.add_argument("--save-resume", action="store_true", help="write the latest checkpoint's weights to models/train/resume/ (fp16, no Adam state) and stop")
    args = ap.parse_args()
    setup(SEED)
    if args.save_resume:
        return save_resume()
    encoder, scale = load_vae_from_onnx()
    encoder = encoder.to(DEVICE)
    x, systems, meta = load_split("train")
    category = torch.tensor(meta["labelSets"]["category"]["values"][:len(x)], dtype=torch.int64)
    z = latents(encoder, x, scale)
    labels = class_index(torch.cat([systems, systems]), torch.cat([category, category]))
    log(f"{len(z)} latents (the images and their mirrors), std {z.std():.3f} after scale {scale}")
    abar = scaled_linear_alphas_cumprod()
    z, labels, abar = z.to(DEVICE), labels.to(DEVICE), abar.to(DEVICE)
    ck = None if args.fresh else load_ckpt("emoji_dit.pt")
    patch = ck.get("patch", 2) if ck else args.patch
    net = DiT(patch=patch).to(DEVICE)
    ema = EMA(net, 0.9995)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-4, weight_decay=0.0)
    gen = torch.Generator().manual_seed(SEED)
    step, timer, warm_from = 0, Timer(), 0
    devices = device_name(DEVICE)
    if ck:
        net.load_state_dict({k: v.float() for k, v in ck["net"].items()}); ema.model.load_state_dict({k: v.float() for k, v in ck["ema"].items()})
        gen.set_state(ck["gen"]); step = ck["step"]; timer = Timer(ck["seconds"])
        devices = ck.get("device", "cpu (2 cores)") if args.export_only else device_history(ck.get("device"), DEVICE)
        if "opt" in ck:
            opt.load_state_dict(ck["opt"])          # Adam's moments move to the weights' device as they load
        else:
            warm_from = step        # a committed resume checkpoint has no Adam moments: warm up again from here
        log(f"resumed at step {step} (patch {patch}), {timer.total():.0f}s trained")
    names = (meta["labelSets"]["category"]["names"], meta["labelSets"]["system"]["names"])
    if args.export_only:
        return export(ema.model if args.weights == "ema" else net, scale, timer.total(), step, *names, weights=args.weights,
                      device=devices, batch=ck.get("bs", 64) if ck else args.bs)
    running = 0.0

    def checkpoint():
        save_ckpt("emoji_dit.pt", {"net": net.state_dict(), "ema": ema.model.state_dict(), "opt": opt.state_dict(), "gen": gen.get_state(),
                                   "step": step, "seconds": timer.total(), "patch": patch, "device": devices, "bs": args.bs})

    clock = WallClock(args.minutes, checkpoint)
    net.train()
    while step < args.steps:
        idx = torch.randint(0, len(z), (args.bs,), generator=gen).to(DEVICE)
        z0, y = z[idx], labels[idx].clone()
        y[(torch.rand(args.bs, generator=gen) < 0.1).to(DEVICE)] = NULL
        t = torch.randint(0, T, (args.bs,), generator=gen).to(DEVICE)
        eps = torch.randn(z0.shape, generator=gen).to(DEVICE)
        a = abar[t][:, None, None, None]
        loss = F.mse_loss(net(a.sqrt() * z0 + (1 - a).sqrt() * eps, t, y), eps)
        for g in opt.param_groups:
            g["lr"] = 2e-4 * min(1.0, (step - warm_from + 1) / 500)
        opt.zero_grad(); loss.backward(); opt.step(); ema.update(net)
        step += 1
        running = 0.99 * running + 0.01 * loss.item() if step > 1 else loss.item()
        if step % 200 == 0:
            log(f"step {step} loss {running:.4f} t {timer.total():.0f}s")
        if clock.tick(f"step {step}"):
            return
    checkpoint()
    export(ema.model, scale, timer.total(), step, *names, device=devices, batch=args.bs)


if __name__ == "__main__":
    main()
