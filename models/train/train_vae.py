"""Convolutional VAE (d=16) and, with --ae, the plain autoencoder with the same architecture.

Run: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_vae.py [--epochs 10]
     OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_ae.py  [--epochs 8]
     (either with --export-only: re-export decoder.onnx alone from the final checkpoint)
VAE loss: negative ELBO with a Gaussian decoder of fixed sigma=0.1 (i.e. SSE/(2*0.01)) + KL(q(z|x) || N(0,I)),
reparametrisation trick. AE loss: SSE.
"""
import argparse, os
import torch, torch.nn as nn, torch.nn.functional as F
from common import *

SEED = 1
D = 16
SIGMA = 0.1


class Encoder(nn.Module):
    def __init__(self, d=D, vae=True):
        super().__init__()
        self.vae = vae
        self.net = nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),
                                 nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU())
        self.mean = nn.Linear(256, d)
        if vae:
            self.logvar = nn.Linear(256, d)

    def forward(self, x):
        h = self.net(x)
        if self.vae:
            return self.mean(h), self.logvar(h)
        return self.mean(h)


class Decoder(nn.Module):
    def __init__(self, d=D):
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(d, 256), nn.ReLU(), nn.Linear(256, 64 * 7 * 7), nn.ReLU())
        self.net = nn.Sequential(nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 1, 4, 2, 1))

    def forward(self, z):
        return torch.sigmoid(self.net(self.fc(z).view(-1, 64, 7, 7)))


def export_decoder(dec, path):
    """decoder.onnx, with its ConvTransposes written as MatMul + Col2Im (same outputs; see common.py)."""
    export_onnx(dec, (torch.randn(2, D),), ["z"], ["x"], path)
    return convtranspose_as_col2im(path)


def load_vae(ae=False):
    """The trained encoder and decoder: from the checkpoint where this machine has it (git-ignored), else from the
    exported graphs in models/ (a fresh clone), mapped back by the bench's loader."""
    tag = "ae" if ae else "vae"
    path = os.path.join(CKPT, f"{tag}_final.pt")
    if not os.path.exists(path):
        ow, onnx = exported_weights()
        (enc, _), (dec, _) = ow.vae(torch, onnx, os.path.join(MODELS, "fmnist-ae" if ae else "fmnist-vae"), ae)
        return enc, dec
    sd = torch.load(path)
    enc, dec = Encoder(vae=not ae), Decoder()
    enc.load_state_dict(sd["enc"]); dec.load_state_dict(sd["dec"])
    return enc.eval(), dec.eval()


@torch.no_grad()
def test_psnr(enc, dec, x, vae):
    out = []
    for i in range(0, len(x), 1000):
        z = enc(x[i:i + 1000])
        if vae:
            z = z[0]
        out.append(psnr(dec(z), x[i:i + 1000]))
    return torch.cat(out)


def main(ae=False):
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=8 if ae else 10)
    ap.add_argument("--bs", type=int, default=128)
    ap.add_argument("--export-only", action="store_true", help="re-export decoder.onnx from the final checkpoint")
    args = ap.parse_args()
    vae = not ae
    tag = "ae" if ae else "vae"
    if args.export_only:
        path = os.path.join(model_dir("fmnist-ae" if ae else "fmnist-vae"), "decoder.onnx")
        log(f"re-exported {path}: {export_decoder(load_vae(ae)[1], path)} bytes")
        return
    seed = SEED + (1 if ae else 0)
    setup(seed)
    xtr, _ = load_tensors("train")
    xte, _ = load_tensors("t10k")
    enc, dec = Encoder(vae=vae), Decoder()
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    steps = args.epochs * ((len(xtr) + args.bs - 1) // args.bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.15)
    gen = torch.Generator().manual_seed(seed)
    ck = load_ckpt(f"{tag}.pt")
    start, timer = 0, Timer()
    if ck:
        enc.load_state_dict(ck["enc"]); dec.load_state_dict(ck["dec"]); opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"]); gen.set_state(ck["gen"]); start = ck["epoch"]; timer = Timer(ck["seconds"])
    for ep in range(start, args.epochs):
        enc.train(); dec.train()
        tot = totkl = 0.0
        for idx in batches(len(xtr), args.bs, gen):
            xb = xtr[idx]
            if vae:
                mu, lv = enc(xb)
                z = mu + torch.randn(mu.shape, generator=gen) * (0.5 * lv).exp()
                kl = 0.5 * (mu ** 2 + lv.exp() - 1 - lv).sum(1).mean()
            else:
                z = enc(xb); kl = torch.zeros(())
            rec = ((dec(z) - xb) ** 2).flatten(1).sum(1).mean()
            loss = (rec / (2 * SIGMA ** 2) + kl) if vae else rec
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()
            tot += rec.item() * len(idx); totkl += kl.item() * len(idx)
        enc.eval(); dec.eval()
        p = test_psnr(enc, dec, xte, vae).mean().item()
        log(f"{tag} epoch {ep+1} sse {tot/len(xtr):.3f} kl {totkl/len(xtr):.2f} test psnr {p:.2f} t {timer.total():.0f}s")
        save_ckpt(f"{tag}.pt", {"enc": enc.state_dict(), "dec": dec.state_dict(), "opt": opt.state_dict(),
                                "sched": sched.state_dict(), "gen": gen.get_state(), "epoch": ep + 1,
                                "seconds": timer.total()})
    seconds = timer.total()
    enc.eval(); dec.eval()
    torch.save({"enc": enc.state_dict(), "dec": dec.state_dict()}, os.path.join(CKPT, f"{tag}_final.pt"))
    p = test_psnr(enc, dec, xte, vae).mean().item()
    mid = "fmnist-ae" if ae else "fmnist-vae"
    d = model_dir(mid)
    enc_out = ["mean", "logvar"] if vae else ["z"]
    s1 = export_onnx(enc, (xte[:2],), ["x"], enc_out, os.path.join(d, "encoder.onnx"))
    s2 = export_decoder(dec, os.path.join(d, "decoder.onnx"))
    g = torch.Generator().manual_seed(1234)
    parity = {
        "encoder": [parity_case(enc, {"x": xte[:1]}, enc_out), parity_case(enc, {"x": xte[1:9]}, enc_out)],
        "decoder": [parity_case(dec, {"z": torch.randn(1, D, generator=g)}, ["x"]),
                    parity_case(dec, {"z": torch.randn(8, D, generator=g)}, ["x"])],
    }
    write_json(os.path.join(d, "parity.json"), parity, indent=None)
    enc_spec = [("mean", ["batch", D]), ("logvar", ["batch", D])] if vae else [("z", ["batch", D])]
    nparams = count_params(enc) + count_params(dec)
    write_manifest(mid, {
        "name": "Fashion-MNIST " + ("VAE" if vae else "autoencoder"),
        "kind": "vae" if vae else "autoencoder",
        "description": ("Convolutional VAE with a 16-d Gaussian latent (encoder gives posterior mean/log-variance, decoder a sigmoid image)."
                        if vae else "Deterministic convolutional autoencoder with a 16-d code, same architecture as fmnist-vae, no KL term."),
        "image": {"channels": 1, "height": 28, "width": 28, "range": [0, 1]},
        "latent": {"shape": [D], "prior": "standard-normal"} if vae else {"shape": [D], "prior": "none"},
        "graphs": {
            "encoder": {"file": "encoder.onnx", "inputs": io_spec([("x", ["batch", 1, 28, 28])]), "outputs": io_spec(enc_spec)},
            "decoder": {"file": "decoder.onnx", "inputs": io_spec([("z", ["batch", D])]), "outputs": io_spec([("x", ["batch", 1, 28, 28])])},
        },
        "labels": LABELS,
        "training": training_info("train_ae.py" if ae else "train_vae.py", seed, args.epochs, seconds, params=nparams,
                                  loss=("SSE/(2*0.1^2) + KL (Gaussian decoder, sigma 0.1)" if vae else "SSE"),
                                  optimizer="Adam one-cycle max lr 2e-3, batch 128"),
        "metrics": {"testPsnrDb": round(p, 3), "params": nparams, "onnxBytes": s1 + s2},
    })
    log(f"done {tag}: psnr {p:.2f} params {nparams} onnx {s1+s2} bytes {seconds:.0f}s")


if __name__ == "__main__":
    main()
