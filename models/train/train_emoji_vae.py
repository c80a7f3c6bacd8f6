"""emoji-vae: a Stable-Diffusion-style autoencoder for 64x64 RGB emoji with a spatial latent [4, 16, 16].

Run: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_emoji_vae.py [--minutes 30] [--epochs 60]
     (again with the same command to continue: it resumes from models/train/checkpoints/emoji_vae.pt;
      --export-only exports the EMA weights of the latest checkpoint without training)
Data: node scripts/emoji-dataset.mjs first (models/train/data/emoji-64/{train,test}.lsds.gz).

Architecture (diffusers' AutoencoderKL in miniature): conv_in, a stride-2 convolution per level with SD's
asymmetric padding, ResNet blocks (GroupNorm, SiLU), conv_out to mean and log-variance maps; the decoder mirrors it
with nearest-neighbour upsampling and convolutions. Images in [-1, 1].
Loss: L1 + 0.5 * L2 on pixels + a gradient-difference term (L1 between the images' horizontal and vertical
differences, for sharp edges) + 1e-6-weighted KL per latent element as in SD's VAE (the latent stays close to a
diffusion-ready scale without blurring). EMA of the weights (0.999) is what is exported.
The latent scale (1 / std of the posterior means over the training set, as SD computes 0.18215) goes into the
manifest's training block for a latent diffusion model over it.
"""
import argparse, gzip, json, os, struct
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
from common import (EMA, MODELS, ROOT, Timer, WallClock, count_params, exported_weights, export_onnx, io_spec, log, model_dir, smoke_subset,
                    parity_case, psnr, save_ckpt, load_ckpt, setup, write_json, write_manifest)

SEED = 11
LATENT = (4, 16, 16)
DATA = os.path.join(ROOT, "models", "train", "data", "emoji-64")
MID = "emoji-vae"
# The GPU machine's CUDA where there is one; random draws stay on the CPU generator, so a run is the same sequence.
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_split(split):
    """(images [n, 3, 64, 64] in [-1, 1], design-system labels, the split's label sets)"""
    raw = gzip.open(os.path.join(DATA, f"{split}.lsds.gz")).read()
    assert raw[:8] == b"LSDS0001", "not an LSDS file"
    n, c, h, w = struct.unpack("<IIII", raw[8:24])
    labels = np.frombuffer(raw, np.uint8, n, 24)
    pixels = np.frombuffer(raw, np.uint8, n * c * h * w, 24 + n).reshape(n, c, h, w)
    meta = json.load(open(os.path.join(DATA, f"{split}.json")))
    n = smoke_subset(n)
    x = torch.from_numpy(pixels[:n].astype(np.float32) / 127.5 - 1.0)
    return x, torch.from_numpy(labels[:n].astype(np.int64)), meta


class ResBlock(nn.Module):
    def __init__(self, cin, cout, groups=8):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class Down(nn.Module):
    """SD's downsampling: pad right and bottom by one, then a stride-2 3x3 convolution."""
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 2, 0)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class Up(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Encoder(nn.Module):
    def __init__(self, ch=(32, 64), z=LATENT[0]):
        super().__init__()
        self.conv_in = nn.Conv2d(3, ch[0], 3, 1, 1)
        self.down1 = Down(ch[0])                      # 64 -> 32
        self.block1 = ResBlock(ch[0], ch[1])
        self.down2 = Down(ch[1])                      # 32 -> 16
        self.block2 = ResBlock(ch[1], ch[1])
        self.norm_out = nn.GroupNorm(8, ch[1])
        self.conv_out = nn.Conv2d(ch[1], 2 * z, 3, 1, 1)

    def forward(self, x):
        h = self.block2(self.down2(self.block1(self.down1(self.conv_in(x)))))
        moments = self.conv_out(F.silu(self.norm_out(h)))
        mean, logvar = moments.chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)


class Decoder(nn.Module):
    def __init__(self, ch=(64, 32), z=LATENT[0]):
        super().__init__()
        self.conv_in = nn.Conv2d(z, ch[0], 3, 1, 1)
        self.block1 = ResBlock(ch[0], ch[0])
        self.up1 = Up(ch[0])                          # 16 -> 32
        self.block2 = ResBlock(ch[0], ch[1])
        self.up2 = Up(ch[1])                          # 32 -> 64
        self.norm_out = nn.GroupNorm(8, ch[1])
        self.conv_out = nn.Conv2d(ch[1], 3, 3, 1, 1)

    def forward(self, z):
        h = self.up2(self.block2(self.up1(self.block1(self.conv_in(z)))))
        return self.conv_out(F.silu(self.norm_out(h)))


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder, self.decoder = Encoder(), Decoder()


def edges(x):
    return x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]


def autoencoder_loss(y, x, mean, logvar, latent):
    """L1 + 0.5 L2 + 0.5 gradient-difference L1 on pixels + 1e-6 KL per latent element (SD's autoencoder weight); and
    the terms for the log."""
    l1 = (y - x).abs().mean()
    l2 = ((y - x) ** 2).mean()
    (yx, yy), (xx, xy) = edges(y), edges(x)
    grad = (yx - xx).abs().mean() + (yy - xy).abs().mean()
    kl = 0.5 * (mean ** 2 + logvar.exp() - 1 - logvar).mean()
    return l1 + 0.5 * l2 + 0.5 * grad + 1e-6 * kl * np.prod(latent), {"l1": l1.item(), "grad": grad.item(), "kl": kl.item()}


def loss_terms(vae, x, gen):
    mean, logvar = vae.encoder(x)
    z = mean + torch.randn(mean.shape, generator=gen).to(mean.device) * (0.5 * logvar).exp()
    return autoencoder_loss(vae.decoder(z), x, mean, logvar, LATENT)


@torch.no_grad()
def evaluate(vae, x):
    """PSNR of the posterior mean's reconstruction per image, in [0, 1]."""
    out = []
    device = next(vae.parameters()).device
    for i in range(0, len(x), 256):
        xb = x[i:i + 256].to(device)
        y = vae.decoder(vae.encoder(xb)[0]).clamp(-1, 1)
        out.append(psnr((y + 1) / 2, (xb + 1) / 2).cpu())
    return torch.cat(out)


@torch.no_grad()
def latent_std(vae, x):
    device = next(vae.parameters()).device
    means = torch.cat([vae.encoder(x[i:i + 256].to(device))[0].cpu() for i in range(0, len(x), 256)])
    return means.std().item()


def from_exported(role):
    """emoji-vae's encoder or decoder with the weights of its exported graph (models/emoji-vae/<role>.onnx), the
    exported GroupNorms mapped back by the bench's loader, so callers run what the app runs; (module, how loaded)."""
    ow, onnx = exported_weights()
    path = os.path.join(MODELS, MID, f"{role}.onnx")
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: train and export emoji-vae first (models/train/train_emoji_vae.py)")
    return ow.with_group_norms(torch, onnx, getattr(VAE(), role), path)


def export(vae, xte, seconds, epochs, steps):
    d = model_dir(MID)
    vae = vae.cpu()
    enc, dec = vae.encoder.eval(), vae.decoder.eval()
    s1 = export_onnx(enc, (xte[:2],), ["x"], ["mean", "logvar"], os.path.join(d, "encoder.onnx"))
    s2 = export_onnx(dec, (torch.randn(2, *LATENT),), ["z"], ["x"], os.path.join(d, "decoder.onnx"))
    g = torch.Generator().manual_seed(1234)
    write_json(os.path.join(d, "parity.json"), {
        "encoder": [parity_case(enc, {"x": xte[:1]}, ["mean", "logvar"]), parity_case(enc, {"x": xte[1:5]}, ["mean", "logvar"])],
        "decoder": [parity_case(dec, {"z": torch.randn(1, *LATENT, generator=g)}, ["x"]), parity_case(dec, {"z": torch.randn(4, *LATENT, generator=g)}, ["x"])],
    }, indent=None)
    p = evaluate(vae, xte)
    std = latent_std(vae, xte)
    nparams = count_params(enc) + count_params(dec)
    write_manifest(MID, {
        "name": "Emoji VAE",
        "kind": "vae",
        "description": "A Stable-Diffusion-style autoencoder for 64x64 emoji in four design systems, with a spatial latent [4, 16, 16]: encode, edit and interpolate in its latent space. Its codes have no prior of their own (random codes decode to noise): new emoji come from a latent diffusion model trained over them.",
        "image": {"channels": 3, "height": 64, "width": 64, "range": [-1, 1]},
        # The KL term is tiny, as in SD's VAE: the codes are not N(0, I), so the app shows reconstructions instead of prior samples.
        "latent": {"shape": list(LATENT), "prior": "none"},
        "graphs": {
            "encoder": {"file": "encoder.onnx", "inputs": io_spec([("x", ["batch", 3, 64, 64])]), "outputs": io_spec([("mean", ["batch", *LATENT]), ("logvar", ["batch", *LATENT])])},
            "decoder": {"file": "decoder.onnx", "inputs": io_spec([("z", ["batch", *LATENT])]), "outputs": io_spec([("x", ["batch", 3, 64, 64])])},
        },
        "training": {"data": "emoji-64 train split (scripts/emoji-dataset.mjs)", "script": "models/train/train_emoji_vae.py", "seed": SEED,
                     "epochs": epochs, "steps": steps, "seconds": int(round(seconds)), "torch": torch.__version__.split("a")[0].split("+")[0],
                     "device": "cpu (2 cores)", "params": nparams, "latentScale": round(1.0 / std, 5),
                     "loss": "L1 + 0.5 L2 + 0.5 gradient-difference L1 + 1e-6 KL per latent element", "optimizer": "Adam 1e-3 (cosine to 1e-4), batch 32, EMA 0.999"},
        "metrics": {"testPsnrDb": round(p.mean().item(), 3), "testPsnrMedianDb": round(p.median().item(), 3), "params": nparams, "onnxBytes": s1 + s2},
    })
    if os.path.exists(os.path.join(MODELS, "emoji-classifier", "manifest.json")):
        # The app refuses a named classifier that is not in the library, so the name is written once it ships.
        m = json.load(open(os.path.join(d, "manifest.json")))
        write_json(os.path.join(d, "manifest.json"), {**m, "classifier": "emoji-classifier"})
    log(f"exported {MID} (trained on {DEVICE}): test PSNR {p.mean():.2f} dB (median {p.median():.2f}), latent std {std:.4f}, {nparams} params, {s1 + s2} bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--minutes", type=float, default=30, help="stop (checkpointed) after this much wall time in this run")
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--export-only", action="store_true")
    args = ap.parse_args()
    setup(SEED)
    xtr, _, _ = load_split("train")
    xte, _, _ = load_split("test")
    train_autoencoder(VAE().to(DEVICE), xtr, xte, args, SEED, "emoji_vae.pt", loss_terms, evaluate, export, batch=mirror_half)


def mirror_half(xb, gen):
    """The batch on the training device, mirrored half the time: emoji are mostly symmetric, so this doubles the data."""
    xb = xb.to(DEVICE)
    return xb.flip(3) if torch.rand(1, generator=gen).item() < 0.5 else xb


def train_autoencoder(vae, xtr, xte, args, seed, ckpt_name, loss_terms, evaluate, export, batch=lambda xb, gen: xb):
    """The SD-style autoencoders' training (emoji-vae, fmnist-vae-spatial): Adam 1e-3, cosine to 1e-4 over
    args.epochs, EMA 0.999, checkpoints every few minutes and at each epoch's end (the same command resumes), the EMA
    model's test PSNR after each epoch (evaluate(model, xte): per-image PSNR), then export(ema_model, xte, seconds,
    epoch, step). `batch` prepares each batch; `seed` seeds the batch order and noise."""
    ema = EMA(vae, 0.999)
    opt = torch.optim.Adam(vae.parameters(), lr=1e-3)
    steps_per_epoch = (len(xtr) + args.bs - 1) // args.bs
    total_steps = args.epochs * steps_per_epoch
    gen = torch.Generator().manual_seed(seed)
    ck = load_ckpt(ckpt_name)
    epoch, step, timer = 0, 0, Timer()
    if ck:
        vae.load_state_dict(ck["vae"]); ema.model.load_state_dict(ck["ema"]); opt.load_state_dict(ck["opt"])  # load_state_dict keeps each module's device
        gen.set_state(ck["gen"]); epoch, step = ck["epoch"], ck["step"]; timer = Timer(ck["seconds"])
        log(f"resumed at epoch {epoch}, step {step}, {timer.total():.0f}s trained")
    if args.export_only:
        return export(ema.model, xte, timer.total(), epoch, step)

    def checkpoint():
        save_ckpt(ckpt_name, {"vae": vae.state_dict(), "ema": ema.model.state_dict(), "opt": opt.state_dict(),
                              "gen": gen.get_state(), "epoch": epoch, "step": step, "seconds": timer.total()})

    clock = WallClock(args.minutes, checkpoint)
    while epoch < args.epochs:
        vae.train()
        order = torch.randperm(len(xtr), generator=gen)
        # An epoch resumed mid-way starts again from its beginning; its finished steps were already taken.
        sums = {"l1": 0.0, "grad": 0.0, "kl": 0.0}
        for b in range(steps_per_epoch):
            xb = batch(xtr[order[b * args.bs:(b + 1) * args.bs]], gen)
            loss, parts = loss_terms(vae, xb, gen)
            # Cosine from 1e-3 to 1e-4 over the planned steps, then 1e-4 (a run continued past its plan stays there).
            for g in opt.param_groups:
                g["lr"] = 1e-4 + 0.5 * (1e-3 - 1e-4) * (1 + np.cos(np.pi * min(step / total_steps, 1.0)))
            opt.zero_grad(); loss.backward(); opt.step(); ema.update(vae)
            step += 1
            for k in sums: sums[k] += parts[k]
            if step % 200 == 0:
                log(f"epoch {epoch} step {step} l1 {parts['l1']:.4f} grad {parts['grad']:.4f} kl {parts['kl']:.3f} t {timer.total():.0f}s")
            if clock.tick(f"epoch {epoch} step {step}"):
                return
        epoch += 1
        p = evaluate(ema.model, xte).mean().item()
        log(f"epoch {epoch} l1 {sums['l1'] / steps_per_epoch:.4f} grad {sums['grad'] / steps_per_epoch:.4f} kl {sums['kl'] / steps_per_epoch:.3f} "
            f"test PSNR (EMA) {p:.2f} dB t {timer.total():.0f}s")
        checkpoint(); clock.saved()
    export(ema.model, xte, timer.total(), epoch, step)

if __name__ == "__main__":
    main()
