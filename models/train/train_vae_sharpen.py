"""Sharpens fmnist-vae's decoder with an adversarial term, the encoder (and so the latent space) left as it is.

Run: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_vae_sharpen.py [--steps 2400] [--minutes M]
     (again to continue from checkpoints/vae_sharpen.pt; --export-only re-exports the decoder from it)

Why: the VAE's decoder returns the mean image over what a 16-d code leaves open, so its pictures are blurred, and
every model that decodes through it inherits that: the latent diffusion models' samples (fmnist-ddpm-latent,
fmnist-ddpm-latent-cond) cannot look sharper than the VAE's reconstructions of real images, which scored FD 16.9
and 56.8% confident against the classifier (real held-out images: 0.9 and 73.6%), next to the latent DDPM's own
19.5 and 51%. A decoder trained to also fool a discriminator commits to one sharp image per code, as the
autoencoders of latent diffusion do (a patch discriminator beside the reconstruction loss).

Recipe: the decoder starts from the trained one (checkpoint vae_final.pt, or the exported graphs on a fresh clone);
codes are posterior samples mu + sigma * eps of the frozen encoder on the train split. Decoder loss: SSE + w * the
non-saturating adversarial loss on a 7x7 patch discriminator (spectral norm), with w set each step from the ratio of
the two losses' gradient norms at the decoder's last layer (times --adv), so the adversarial term never outweighs
the reconstruction; the discriminator uses the hinge loss. Adam 2e-4, betas (0.5, 0.9), batch 128; the exported
decoder is an EMA (0.999) of the decoder's weights. The classifier that judges the results (evaluate.py) takes no
part in training. Checkpoints every few minutes; the encoder's graph and the latent space do not change, so the
latent diffusion models and saved directions stay valid.
"""
import argparse, json, os, sys
import torch, torch.nn as nn, torch.nn.functional as F
from torch.nn.utils import spectral_norm
from common import *
from train_vae import D, Decoder, export_decoder, load_vae, test_psnr

SEED = 11


class PatchDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(spectral_norm(nn.Conv2d(1, 64, 4, 2, 1)), nn.LeakyReLU(0.2),
                                 spectral_norm(nn.Conv2d(64, 128, 4, 2, 1)), nn.LeakyReLU(0.2),
                                 spectral_norm(nn.Conv2d(128, 1, 3, 1, 1)))

    def forward(self, x):
        return self.net(x * 2 - 1).flatten(1)


def last_layer(dec):
    return dec.net[-1].weight


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2400)
    ap.add_argument("--minutes", type=float, default=120)
    ap.add_argument("--adv", type=float, default=0.5, help="scale of the adaptive adversarial weight")
    ap.add_argument("--bs", type=int, default=128)
    ap.add_argument("--export-only", action="store_true")
    args = ap.parse_args()
    setup(SEED, threads=int(os.environ.get("OMP_NUM_THREADS", "1")))
    enc, dec0 = load_vae()
    for p in enc.parameters():
        p.requires_grad_(False)
    dec = Decoder(); dec.load_state_dict(dec0.state_dict())
    ema = EMA(dec, 0.999)
    disc = PatchDiscriminator()
    optG = torch.optim.Adam(dec.parameters(), lr=2e-4, betas=(0.5, 0.9))
    optD = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.9))
    gen = torch.Generator().manual_seed(SEED)
    step, timer = 0, Timer()
    ck = load_ckpt("vae_sharpen.pt")
    if ck:
        dec.load_state_dict(ck["dec"]); ema.model.load_state_dict(ck["ema"]); disc.load_state_dict(ck["disc"])
        optG.load_state_dict(ck["optG"]); optD.load_state_dict(ck["optD"]); gen.set_state(ck["gen"])
        step, timer = ck["step"], Timer(ck["seconds"])
        log(f"resumed vae_sharpen.pt at step {step}, {timer.total():.0f}s")
    xtr, _ = load_tensors("train")
    xte, _ = load_tensors("t10k")

    def checkpoint():
        save_ckpt("vae_sharpen.pt", {"dec": dec.state_dict(), "ema": ema.model.state_dict(), "disc": disc.state_dict(),
                                     "optG": optG.state_dict(), "optD": optD.state_dict(), "gen": gen.get_state(),
                                     "step": step, "seconds": timer.total(), "args": vars(args)})

    if not args.export_only:
        with torch.no_grad():
            mus, lvs = zip(*(enc(xtr[i:i + 2000]) for i in range(0, len(xtr), 2000)))
            mu_all, sd_all = torch.cat(mus), (0.5 * torch.cat(lvs)).exp()
        base = test_psnr(enc, dec0, xte, True).mean().item()
        log(f"start: test psnr {base:.2f} dB")
        clock = WallClock(args.minutes, checkpoint)
        run = {"rec": 0.0, "adv": 0.0, "w": 0.0, "d": 0.0}
        while step < args.steps:
            for idx in batches(len(xtr), args.bs, gen):
                if step >= args.steps:
                    break
                x = xtr[idx]
                z = mu_all[idx] + sd_all[idx] * torch.randn(len(idx), D, generator=gen)
                fake = dec(z)
                # discriminator, hinge loss
                lossD = F.relu(1 - disc(x)).mean() + F.relu(1 + disc(fake.detach())).mean()
                optD.zero_grad(); lossD.backward(); optD.step()
                # decoder: reconstruction + adaptively weighted non-saturating adversarial loss
                rec = ((fake - x) ** 2).flatten(1).sum(1).mean()
                adv = F.softplus(-disc(fake)).mean()
                g_rec = torch.autograd.grad(rec, last_layer(dec), retain_graph=True)[0].norm()
                g_adv = torch.autograd.grad(adv, last_layer(dec), retain_graph=True)[0].norm()
                w = (args.adv * g_rec / (g_adv + 1e-4)).clamp(0, 1e4).detach()
                loss = rec + w * adv
                optG.zero_grad(); loss.backward(); optG.step()
                ema.update(dec)
                step += 1
                for k, v in (("rec", rec.item()), ("adv", adv.item()), ("w", w.item()), ("d", lossD.item())):
                    run[k] = 0.98 * run[k] + 0.02 * v if step > 1 else v
                if step % 100 == 0:
                    log(f"step {step} sse {run['rec']:.2f} adv {run['adv']:.3f} w {run['w']:.2f} lossD {run['d']:.3f} t {timer.total():.0f}s")
                if step % 400 == 0:
                    log(f"step {step}: test psnr (EMA) {test_psnr(enc, ema.model.eval(), xte, True).mean().item():.2f} dB")
                if clock.tick(f"step {step}"):
                    return
        checkpoint()
    dec = ema.model.eval()
    p = test_psnr(enc, dec, xte, True)
    d = model_dir("fmnist-vae")
    size = export_decoder(dec, os.path.join(d, "decoder.onnx"))
    parity = json.load(open(os.path.join(d, "parity.json")))
    g = torch.Generator().manual_seed(1234)
    parity["decoder"] = [parity_case(dec, {"z": torch.randn(1, D, generator=g)}, ["x"]),
                         parity_case(dec, {"z": torch.randn(8, D, generator=g)}, ["x"])]
    write_json(os.path.join(d, "parity.json"), parity, indent=None)
    man = json.load(open(os.path.join(d, "manifest.json")))
    man["training"]["decoderSharpening"] = {
        "script": "models/train/train_vae_sharpen.py", "seed": SEED, "steps": step, "seconds": int(timer.total()),
        "command": " ".join(["/usr/bin/python3", "models/train/train_vae_sharpen.py"] + sys.argv[1:]),
        "loss": f"SSE + adaptive weight (x{args.adv}) * non-saturating adversarial loss, 7x7 patch discriminator with spectral norm, hinge loss",
        "optimizer": "Adam 2e-4 betas (0.5, 0.9), batch 128; exported decoder: EMA 0.999; encoder frozen",
    }
    man["description"] = ("Convolutional VAE with a 16-d Gaussian latent (encoder gives posterior mean/log-variance, decoder a sigmoid "
                          "image); the decoder is sharpened with an adversarial term, the encoder and latent space unchanged.")
    man["metrics"]["testPsnrDb"] = round(p.mean().item(), 3)
    man["metrics"]["testPsnrMedianDb"] = round(p.median().item(), 3)
    man["metrics"]["onnxBytes"] = os.path.getsize(os.path.join(d, "encoder.onnx")) + size
    write_json(os.path.join(d, "manifest.json"), man)
    log(f"exported the sharpened decoder ({size} bytes): test psnr {p.mean().item():.2f} dB")


if __name__ == "__main__":
    main()
