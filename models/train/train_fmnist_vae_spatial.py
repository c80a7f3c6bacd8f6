"""fmnist-vae-spatial: a Stable-Diffusion-style autoencoder for Fashion-MNIST with a spatial latent [4, 7, 7], the
decoder of the class-conditional latent diffusion model (train_ddpm_latent_spatial.py).

Why: fmnist-vae's 16-d code is a true VAE's (KL to N(0, I) at full weight), so its reconstructions are blurred
(FD 9.4 on the project's metric, real images 1.3) and no latent diffusion model decoding through it can look
sharper. A latent diffusion model wants what SD's autoencoder gives: a spatial code that keeps the detail (4x fewer
values than pixels), with a KL term small enough not to blur and large enough to keep the codes at a sane scale.

Run: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_fmnist_vae_spatial.py [--minutes 30] [--epochs 6]
     (again with the same command to continue: it resumes from models/train/checkpoints/fmnist_vae_spatial.pt;
      --export-only exports the EMA weights of the latest checkpoint without training)

Architecture: emoji-vae's blocks (train_emoji_vae.py: ResNet blocks with GroupNorm and SiLU, SD's asymmetric
stride-2 downsampling, nearest-neighbour upsampling), 28 -> 14 -> 7. Images in [0, 1], as the other Fashion-MNIST
models. Loss: emoji-vae's (L1 + 0.5 L2 + 0.5 gradient-difference L1 + 1e-6 KL per latent element). EMA 0.999.
"""
import argparse, os
import torch, torch.nn as nn, torch.nn.functional as F
from common import (MODELS, LABELS, count_params, export_onnx, io_spec, load_tensors, log, model_dir,
                    parity_case, psnr, load_ckpt, setup, training_info, write_json, write_manifest, exported_weights)
from train_emoji_vae import ResBlock, Down, Up, autoencoder_loss, train_autoencoder

SEED = 13
LATENT = (4, 7, 7)
MID = "fmnist-vae-spatial"
CKPT_NAME = "fmnist_vae_spatial.pt"


class Encoder(nn.Module):
    def __init__(self, ch=(32, 64), z=LATENT[0]):
        super().__init__()
        self.conv_in = nn.Conv2d(1, ch[0], 3, 1, 1)
        self.block0 = ResBlock(ch[0], ch[0])
        self.down1 = Down(ch[0])                      # 28 -> 14
        self.block1 = ResBlock(ch[0], ch[1])
        self.down2 = Down(ch[1])                      # 14 -> 7
        self.block2 = ResBlock(ch[1], ch[1])
        self.norm_out = nn.GroupNorm(8, ch[1])
        self.conv_out = nn.Conv2d(ch[1], 2 * z, 3, 1, 1)

    def forward(self, x):
        h = self.block2(self.down2(self.block1(self.down1(self.block0(self.conv_in(x))))))
        mean, logvar = self.conv_out(F.silu(self.norm_out(h))).chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)


class Decoder(nn.Module):
    def __init__(self, ch=(64, 32), z=LATENT[0]):
        super().__init__()
        self.conv_in = nn.Conv2d(z, ch[0], 3, 1, 1)
        self.block0 = ResBlock(ch[0], ch[0])
        self.block1 = ResBlock(ch[0], ch[0])
        self.up1 = Up(ch[0])                          # 7 -> 14
        self.block2 = ResBlock(ch[0], ch[1])
        self.up2 = Up(ch[1])                          # 14 -> 28
        self.block3 = ResBlock(ch[1], ch[1])
        self.norm_out = nn.GroupNorm(8, ch[1])
        self.conv_out = nn.Conv2d(ch[1], 1, 3, 1, 1)

    def unclamped(self, z):
        """The image before its clamp to [0, 1], which has no gradient outside it: what the loss sees."""
        h = self.block3(self.up2(self.block2(self.up1(self.block1(self.block0(self.conv_in(z)))))))
        return self.conv_out(F.silu(self.norm_out(h)))

    def forward(self, z):
        # Clamped, not squashed: a sigmoid would spend the decoder's capacity on saturating the white background.
        return self.unclamped(z).clamp(0.0, 1.0)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder, self.decoder = Encoder(), Decoder()


def loss_terms(vae, x, gen):
    mean, logvar = vae.encoder(x)
    z = mean + torch.randn(mean.shape, generator=gen) * (0.5 * logvar).exp()
    return autoencoder_loss(vae.decoder.unclamped(z), x, mean, logvar, LATENT)


@torch.no_grad()
def reconstruct(vae, x):
    return torch.cat([vae.decoder(vae.encoder(x[i:i + 500])[0]) for i in range(0, len(x), 500)])


@torch.no_grad()
def posterior_means(enc, x):
    return torch.cat([enc(x[i:i + 1000])[0] for i in range(0, len(x), 1000)])


def load_vae_spatial(exported_ok=True, exported=False):
    """(encoder, decoder) in eval mode: the checkpoint's EMA weights where this machine has them (git-ignored), else
    (or with exported) the exported graphs' initializers, GroupNorms mapped back as for emoji-vae: what the app runs."""
    ck = None if exported else load_ckpt(CKPT_NAME)
    vae = VAE()
    if ck:
        vae.load_state_dict(ck["ema"])
        return vae.encoder.eval(), vae.decoder.eval()
    if not exported_ok:
        raise SystemExit(f"no {CKPT_NAME} checkpoint: train first")
    ow, onnx = exported_weights()
    return tuple(ow.with_group_norms(torch, onnx, getattr(vae, role), os.path.join(MODELS, MID, f"{role}.onnx"))[0].eval()
                 for role in ("encoder", "decoder"))


def export(vae, xte, seconds, epochs, steps):
    d = model_dir(MID)
    enc, dec = vae.encoder.eval(), vae.decoder.eval()
    s1 = export_onnx(enc, (xte[:2],), ["x"], ["mean", "logvar"], os.path.join(d, "encoder.onnx"))
    s2 = export_onnx(dec, (torch.randn(2, *LATENT),), ["z"], ["x"], os.path.join(d, "decoder.onnx"))
    g = torch.Generator().manual_seed(1234)
    write_json(os.path.join(d, "parity.json"), {
        "encoder": [parity_case(enc, {"x": xte[:1]}, ["mean", "logvar"]), parity_case(enc, {"x": xte[1:5]}, ["mean", "logvar"])],
        "decoder": [parity_case(dec, {"z": torch.randn(1, *LATENT, generator=g)}, ["x"]), parity_case(dec, {"z": torch.randn(4, *LATENT, generator=g)}, ["x"])],
    }, indent=None)
    p = psnr(reconstruct(vae, xte), xte)
    std = posterior_means(enc, xte).std().item()
    n = count_params(enc) + count_params(dec)
    write_manifest(MID, {
        "name": "Fashion-MNIST spatial VAE",
        "kind": "vae",
        "description": "A Stable-Diffusion-style autoencoder with a spatial latent [4, 7, 7]: sharp reconstructions, and the decoder of the class-conditional latent diffusion model. Its codes have no prior of their own (the KL term is tiny, as in SD's VAE): new images come from the diffusion model trained over them.",
        "image": {"channels": 1, "height": 28, "width": 28, "range": [0, 1]},
        "latent": {"shape": list(LATENT), "prior": "none"},
        "graphs": {
            "encoder": {"file": "encoder.onnx", "inputs": io_spec([("x", ["batch", 1, 28, 28])]), "outputs": io_spec([("mean", ["batch", *LATENT]), ("logvar", ["batch", *LATENT])])},
            "decoder": {"file": "decoder.onnx", "inputs": io_spec([("z", ["batch", *LATENT])]), "outputs": io_spec([("x", ["batch", 1, 28, 28])])},
        },
        "labels": LABELS,
        "classifier": "fmnist-classifier",
        "training": training_info("train_fmnist_vae_spatial.py", SEED, epochs, seconds, steps=steps, params=n, latentScale=round(1.0 / std, 5),
                                  loss="L1 + 0.5 L2 + 0.5 gradient-difference L1 + 1e-6 KL per latent element",
                                  optimizer="Adam 1e-3 (cosine to 1e-4), batch 64, EMA 0.999"),
        "metrics": {"testPsnrDb": round(p.mean().item(), 3), "testPsnrMedianDb": round(p.median().item(), 3), "params": n, "onnxBytes": s1 + s2},
    })
    log(f"exported {MID}: test PSNR {p.mean():.2f} dB (median {p.median():.2f}), latent std {std:.4f}, {n} params, {s1 + s2} bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--minutes", type=float, default=30, help="stop (checkpointed) after this much wall time in this run")
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--export-only", action="store_true")
    args = ap.parse_args()
    setup(SEED)
    xtr, _ = load_tensors("train")
    xte, _ = load_tensors("t10k")
    train_autoencoder(VAE(), xtr, xte, args, SEED, CKPT_NAME, loss_terms, lambda vae, x: psnr(reconstruct(vae.eval(), x), x), export)


if __name__ == "__main__":
    main()
