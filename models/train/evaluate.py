"""Computes metrics for the bundled models, writes them into each models/<id>/manifest.json (metrics{}),
renders sample grids (models/<id>/*.png) and regenerates models/README.md.

Run: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/evaluate.py [--only fmnist-vae,fmnist-dcgan,...] [--readme-only]
Needs the final checkpoints in models/train/checkpoints/ (written by the train_*.py scripts); without
classifier_final.pt the classifier is rebuilt from models/fmnist-classifier/classifier.onnx's initializers
(BatchNorms folded into the convolutions at export) and checked against its parity.json.
With --only, the README's table rows of the models not evaluated are kept as they are.
Metrics for generators use 1,000 samples; "FD" is the Frechet distance between the classifier's 128-d
penultimate features of the samples and of the 10,000 test images (FID-style, own feature extractor).
"""
import argparse, json, os
import numpy as np
import torch, torch.nn.functional as F
from common import *

ALL = ["fmnist-classifier", "fmnist-vae", "fmnist-ae", "fmnist-vae-spatial", "fmnist-ddpm-latent", "fmnist-ddpm-latent-cond", "fmnist-dcgan", "fmnist-ddpm-pixel",
       "fmnist-ddpm-pixel-cond"]
N_SAMPLES = 1000
INV = {"images": 100, "indexSeed": 2024, "steps": 300, "lr": 0.05, "betas": [0.9, 0.999], "eps": 1e-8,
       "schedule": "constant", "init": "encoder", "loss": "sum over pixels of (G(z)-x)^2, x in [-1,1]",
       "psnrSpace": "[0,1]", "reported": "PSNR after the last step"}


def save_grid(imgs01, path, nrow=8, scale=2):
    import torchvision.utils as vu
    x = F.interpolate(imgs01.clamp(0, 1), scale_factor=scale, mode="nearest")
    vu.save_image(x, path, nrow=nrow, padding=2, pad_value=1.0)


def frechet(mu1, c1, mu2, c2):
    w, v = np.linalg.eigh(c1)
    s1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = s1 @ c2 @ s1
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * tr_sqrt)


def stats(f):
    f = f.double().numpy()
    return f.mean(0), np.cov(f, rowvar=False)


def _decode(t):
    import base64
    return torch.from_numpy(np.frombuffer(base64.b64decode(t["data"]), dtype="<f4").copy()).view(t["shape"])


@torch.no_grad()
def check_parity(mid, role, module, outputs):
    """A module rebuilt from an exported graph's weights against that graph's PyTorch reference outputs."""
    err = 0.0
    for case in json.load(open(os.path.join(MODELS, mid, "parity.json")))[role]:
        out = module(*[_decode(v) for v in case["inputs"].values()])
        out = out if isinstance(out, tuple) else (out,)
        for o, name in zip(out, outputs):
            ref = _decode(case["outputs"][name])
            err = max(err, ((o - ref).abs().max() / ref.abs().max()).item())
    assert err < 1e-4, f"{mid} {role} rebuilt from ONNX disagrees with parity.json: max rel err {err:.2e}"
    log(f"{mid} {role} from its graph's initializers (parity.json max rel err {err:.1e})")


def classifier_from_onnx():
    """The fmnist-classifier module with the weights of its exported classifier.onnx.

    torch.onnx folded each eval-mode BatchNorm into the Conv before it, so the Convs get a bias and the BatchNorms
    become identities (same function as the trained module up to float rounding); the Gemms keep the Linear layers'
    names. Checked against the stored parity.json outputs.
    """
    import onnx
    from onnx import numpy_helper
    from train_classifier import Classifier
    d = os.path.join(MODELS, "fmnist-classifier")
    g = onnx.load(os.path.join(d, "classifier.onnx")).graph
    w = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in g.initializer}
    m = Classifier()
    body = list(m.body)
    convs = [n for n in g.node if n.op_type == "Conv"]
    slots = [i for i, l in enumerate(body) if isinstance(l, torch.nn.Conv2d)]
    assert len(convs) == len(slots), "classifier.onnx: unexpected Conv count"
    with torch.no_grad():
        for node, i in zip(convs, slots):
            old = body[i]
            conv = torch.nn.Conv2d(old.in_channels, old.out_channels, old.kernel_size, old.stride, old.padding, bias=True)
            conv.weight.copy_(w[node.input[1]]); conv.bias.copy_(w[node.input[2]])
            body[i] = conv
            assert isinstance(body[i + 1], torch.nn.BatchNorm2d)
            body[i + 1] = torch.nn.Identity()
        m.body = torch.nn.Sequential(*body)
        for name in ("fc", "head"):
            getattr(m, name).weight.copy_(w[name + ".weight"]); getattr(m, name).bias.copy_(w[name + ".bias"])
    m.eval()
    check_parity("fmnist-classifier", "classifier", m, ["logits", "features"])
    return m


class Judge:
    def __init__(self):
        if os.path.exists(os.path.join(CKPT, "classifier_final.pt")):
            from train_classifier import load_classifier
            self.clf = load_classifier()
        else:
            self.clf = classifier_from_onnx()
        xte, self.yte = load_tensors("t10k")
        self.xte = xte
        _, f = self.run(xte)
        self.ref = stats(f)

    @torch.no_grad()
    def run(self, x01):
        ls, fs = [], []
        for i in range(0, len(x01), 500):
            l, f = self.clf(x01[i:i + 500])
            ls.append(l); fs.append(f)
        return torch.cat(ls), torch.cat(fs)

    def sample_metrics(self, x01, prefix="samples", wanted=None):
        """Confident share, FD and class histogram; with `wanted` (the class asked for, per sample), the agreement."""
        logits, f = self.run(x01.clamp(0, 1))
        p = logits.softmax(1)
        conf, cls = p.max(1)
        hist = torch.bincount(cls, minlength=10).tolist()
        m = {prefix + "ConfidentShare": round((conf >= 0.9).float().mean().item(), 4),
             prefix + "Fd": round(frechet(*stats(f), *self.ref), 3),
             prefix + "ClassHistogram": dict(zip(LABELS, hist))}
        if wanted is not None:
            m[prefix + "Agreement"] = round((cls == wanted).float().mean().item(), 4)
        return m


SAMPLES_NOTE = {"samples": N_SAMPLES, "confidentShare": "share of samples the fmnist-classifier labels with p >= 0.9",
                "fd": "Frechet distance between fmnist-classifier 128-d features of the samples and of the 10,000 test images",
                "classHistogram": "fmnist-classifier argmax counts over the samples"}


def update_metrics(mid, metrics, evaluation=None, script="models/train/evaluate.py"):
    p = os.path.join(MODELS, mid, "manifest.json")
    m = json.load(open(p))
    m.setdefault("metrics", {}).update(metrics)
    if evaluation:
        m.setdefault("evaluation", {}).update(evaluation)
        m["evaluation"]["script"] = script
    write_json(p, m)


def folder_bytes(mid):
    d = os.path.join(MODELS, mid)
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".onnx"))


@torch.no_grad()
def eval_classifier(judge):
    acc = (judge.run(judge.xte)[0].argmax(1) == judge.yte).float().mean().item()
    # baseline for the FD numbers: 1,000 real training images vs the test set
    xtr, _ = load_tensors("train")
    idx = torch.randperm(len(xtr), generator=torch.Generator().manual_seed(11))[:N_SAMPLES]
    base = judge.sample_metrics(xtr[idx], "train1000")
    update_metrics("fmnist-classifier", {"testAccuracy": round(acc, 4), "train1000Fd": base["train1000Fd"],
                                         "train1000ConfidentShare": base["train1000ConfidentShare"]},
                   {"train1000": "1,000 random real training images scored like generator samples (baseline)", **SAMPLES_NOTE})
    log(f"classifier acc {acc:.4f}, FD baseline (1000 train vs test) {base['train1000Fd']:.3f}")


@torch.no_grad()
def eval_vae(judge, ae=False):
    from train_vae import load_vae, D
    mid = "fmnist-ae" if ae else "fmnist-vae"
    enc, dec = load_vae(ae)
    x = judge.xte
    rec = []
    for i in range(0, len(x), 1000):
        z = enc(x[i:i + 1000])
        rec.append(dec(z if ae else z[0]))
    rec = torch.cat(rec)
    p = psnr(rec, x)
    m = {"testPsnrDb": round(p.mean().item(), 3), "testPsnrMedianDb": round(p.median().item(), 3)}
    # The first 1,000 test images' reconstructions, scored as samples are: what a model decoding through this
    # decoder (the latent diffusion models) can reach at best.
    m.update({k: v for k, v in judge.sample_metrics(rec[:N_SAMPLES], "reconstructions").items() if "Histogram" not in k})
    pair = torch.stack([x[:32].view(4, 8, 1, 28, 28), rec[:32].view(4, 8, 1, 28, 28)], 1).reshape(64, 1, 28, 28)
    save_grid(pair, os.path.join(MODELS, mid, "reconstructions.png"))
    if not ae:
        g = torch.Generator().manual_seed(21)
        s = dec(torch.randn(N_SAMPLES, D, generator=g))
        m.update(judge.sample_metrics(s, "priorSamples"))
        save_grid(s[:64], os.path.join(MODELS, mid, "samples.png"))
    update_metrics(mid, m, {"testPsnrDb": "mean over the 10,000 test images, [0,1] range" + ("" if ae else ", decoded posterior mean"),
                            "reconstructions": "the first 1,000 test images' reconstructions, scored as samples (confident share, FD)",
                            **({} if ae else {"priorSamples": "decoder(z), z ~ N(0, I)", **SAMPLES_NOTE})})
    log(mid, m)


@torch.no_grad()
def eval_ddpm_latent(judge):
    from train_ddpm_latent import load_latent_denoiser
    from train_vae import load_vae, D
    net, scale = load_latent_denoiser()
    _, dec = load_vae()
    _, abar = linear_schedule(1000)
    g = torch.Generator().manual_seed(31)
    z = ddim_sample(net, (N_SAMPLES, D), abar, 50, g)
    s = dec(z / scale)
    m = judge.sample_metrics(s, "ddim50")
    update_metrics("fmnist-ddpm-latent", m, {"ddim50": "DDIM 50 steps, eta 0, decoded with fmnist-vae", **SAMPLES_NOTE})
    save_grid(s[:64], os.path.join(MODELS, "fmnist-ddpm-latent", "samples.png"))
    log("latent ddpm", m)


def guided_metrics(judge, mid, sample, decoded_by, step):
    """A class-conditional model scored as evaluate.py scores them: 100 samples of each class at the manifest's guidance
    (agreement: the classifier's label is the one asked for) and 1,000 with the null label (no class), as the
    unconditional models are. sample(y, w, seed) gives images in [0, 1]; one row a class in the grid."""
    guidance = json.load(open(os.path.join(MODELS, mid, "manifest.json")))["diffusion"]["conditioning"]["guidance"]
    per = N_SAMPLES // 10
    y = torch.arange(10).repeat_interleave(per)
    s = sample(y, guidance, 31)
    m = judge.sample_metrics(s, "guided", wanted=y)
    m["guidance"] = guidance
    m.update(judge.sample_metrics(sample(None, 0.0, 32), "unconditional"))
    m["evaluatedAtStep"] = step
    update_metrics(mid, m, {"guided": f"DDIM 50 steps, eta 0, 100 samples of each class at guidance {guidance:g}{decoded_by}",
                            "guidedAgreement": "share of guided samples the fmnist-classifier labels as the class asked for",
                            "unconditional": "DDIM 50 steps with the null label (no class, no guidance)", **SAMPLES_NOTE})
    save_grid(s.view(10, per, 1, 28, 28)[:, :8].reshape(80, 1, 28, 28), os.path.join(MODELS, mid, "samples.png"), nrow=8)
    return m


@torch.no_grad()
def eval_vae_spatial(judge):
    """fmnist-vae-spatial: reconstructions only (its codes have no prior to sample from)."""
    from train_fmnist_vae_spatial import load_vae_spatial, MID
    enc, dec = load_vae_spatial(exported=True)
    check_parity(MID, "encoder", enc, ["mean", "logvar"])
    check_parity(MID, "decoder", dec, ["x"])
    x = judge.xte
    rec = torch.cat([dec(enc(x[i:i + 1000])[0]) for i in range(0, len(x), 1000)])
    p = psnr(rec, x)
    m = {"testPsnrDb": round(p.mean().item(), 3), "testPsnrMedianDb": round(p.median().item(), 3)}
    m.update({k: v for k, v in judge.sample_metrics(rec[:N_SAMPLES], "reconstructions").items() if "Histogram" not in k})
    pair = torch.stack([x[:32].view(4, 8, 1, 28, 28), rec[:32].view(4, 8, 1, 28, 28)], 1).reshape(64, 1, 28, 28)
    save_grid(pair, os.path.join(MODELS, MID, "reconstructions.png"))
    update_metrics(MID, m, {"testPsnrDb": "mean over the 10,000 test images, [0,1] range, decoded posterior mean",
                            "reconstructions": "the first 1,000 test images' reconstructions, scored as samples (confident share, FD)",
                            **SAMPLES_NOTE})
    log(MID, m)


@torch.no_grad()
def eval_ddpm_latent_cond(judge):
    from train_ddpm_latent_spatial import NULL, MID, load_cond_denoiser
    from train_fmnist_vae_spatial import LATENT, load_vae_spatial, MID as DECODER
    net, scale, ck = load_cond_denoiser(exported_ok=True)
    check_parity(MID, "denoiser", net, ["eps"])
    _, dec = load_vae_spatial(exported=True)
    _, abar = linear_schedule(1000)

    def sample(y, w, seed):
        y = torch.full((N_SAMPLES,), NULL) if y is None else y
        z = ddim_sample(Guided(net, y, w, NULL), (len(y), *LATENT), abar, 50, torch.Generator().manual_seed(seed)) / scale
        return torch.cat([dec(z[i:i + 500]) for i in range(0, len(z), 500)])
    m = guided_metrics(judge, MID, sample, f", decoded with {DECODER}", ck["step"])
    log("conditional latent ddpm", m)


@torch.no_grad()
def eval_ddpm_pixel_cond(judge):
    from train_ddpm_pixel_cond import NULL, load_cond_denoiser
    mid = "fmnist-ddpm-pixel-cond"
    net, ck = load_cond_denoiser()
    check_parity(mid, "denoiser", net, ["eps"])
    _, abar = linear_schedule(1000)

    def sample(y, w, seed):
        y = torch.full((N_SAMPLES,), NULL) if y is None else y
        g = torch.Generator().manual_seed(seed)
        xs = [ddim_sample(Guided(net, y[i:i + 250], w, NULL), (len(y[i:i + 250]), 1, 28, 28), abar, 50, g) for i in range(0, len(y), 250)]
        return (torch.cat(xs).clamp(-1, 1) + 1) / 2
    m = guided_metrics(judge, mid, sample, "", ck["step"])
    log("conditional pixel ddpm", m)


def eval_dcgan(judge):
    from train_dcgan import load_gan, GeneratorInversion, check_inversion, ZD
    G, E, _ = load_gan()
    with torch.no_grad():
        s = (G(torch.randn(N_SAMPLES, ZD, generator=torch.Generator().manual_seed(41))) + 1) / 2
    m = judge.sample_metrics(s, "samples")
    save_grid(s[:64], os.path.join(MODELS, "fmnist-dcgan", "samples.png"))
    inv = GeneratorInversion(G).eval()
    rel_l, rel_g, rel_n = check_inversion(G, inv, judge.xte[:64] * 2 - 1, torch.Generator().manual_seed(99))
    # inversion of held-out test images, using the exported module's explicit gradient
    idx = torch.randperm(len(judge.xte), generator=torch.Generator().manual_seed(INV["indexSeed"]))[:INV["images"]]
    x = judge.xte[idx] * 2 - 1
    with torch.no_grad():
        z0 = E(x)
        enc_p = psnr((G(z0) + 1) / 2, (x + 1) / 2)
    z = z0.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=INV["lr"], betas=tuple(INV["betas"]), eps=INV["eps"])
    curve = []
    for step in range(INV["steps"]):
        with torch.no_grad():
            loss, grad = inv(z, x)
        z.grad = grad.clone()
        opt.step()
        if step % 50 == 0:
            curve.append([step, round(loss.mean().item(), 4)])
    with torch.no_grad():
        xf = G(z)
        fin = psnr((xf + 1) / 2, (x + 1) / 2)
        curve.append([INV["steps"], round(inv(z, x)[0].mean().item(), 4)])
    med = fin.median().item()
    metrics = {**m, "inversionMedianPsnrDb": round(med, 3), "inversionMeanPsnrDb": round(fin.mean().item(), 3),
               "encoderOnlyMedianPsnrDb": round(enc_p.median().item(), 3),
               "encoderOnlyMeanPsnrDb": round(enc_p.mean().item(), 3),
               "inversionGradMaxRelError": float(f"{rel_g:.3e}"), "inversionLossMaxRelError": float(f"{rel_l:.3e}")}
    update_metrics("fmnist-dcgan", metrics, {"samples": "generator(z), z ~ N(0, I)", **SAMPLES_NOTE,
                                             "inversion": {**INV, "reference": "inversion-reference.json"},
                                             "inversionGradMaxRelError": "max |grad - autograd| / max |autograd| over 64 test images, random z"})
    write_json(os.path.join(MODELS, "fmnist-dcgan", "inversion-reference.json"), {
        "description": "Reference run of latent inversion (Adam on z from the encoder's warm start) using the inversion graph's gradient, PyTorch eager.",
        "settings": INV, "testIndices": idx.tolist(),
        "encoderPsnrDb": [round(v, 4) for v in enc_p.tolist()],
        "finalPsnrDb": [round(v, 4) for v in fin.tolist()],
        "medianFinalPsnrDb": round(med, 4), "medianEncoderPsnrDb": round(enc_p.median().item(), 4),
        "meanLossCurve": curve,
    })
    with torch.no_grad():
        rows = torch.stack([((x + 1) / 2)[:16].view(2, 8, 1, 28, 28), ((G(z0) + 1) / 2)[:16].view(2, 8, 1, 28, 28),
                            ((xf + 1) / 2)[:16].view(2, 8, 1, 28, 28)], 1).reshape(48, 1, 28, 28)
    save_grid(rows, os.path.join(MODELS, "fmnist-dcgan", "inversion.png"))
    log("dcgan", metrics)


@torch.no_grad()
def eval_ddpm_pixel(judge):
    from train_ddpm_pixel import load_pixel_denoiser
    net, ck = load_pixel_denoiser()
    _, abar = linear_schedule(1000)
    m = {"evaluatedAtStep": ck["step"]}
    for name, clip, png in (("ddim50", None, "samples.png"), ("ddim50ClipX0", (-1.0, 1.0), "samples-clip-x0.png")):
        g = torch.Generator().manual_seed(51)
        xs = []
        for i in range(0, N_SAMPLES, 250):
            xs.append(ddim_sample(net, (250, 1, 28, 28), abar, 50, g, clip_x0=clip))
        s = ((torch.cat(xs).clamp(-1, 1)) + 1) / 2
        m.update(judge.sample_metrics(s, name))
        save_grid(s[:64], os.path.join(MODELS, "fmnist-ddpm-pixel", png))
    update_metrics("fmnist-ddpm-pixel", m, {
        "ddim50": "plain DDIM 50 steps, eta 0, final image clamped to [-1,1]",
        "ddim50ClipX0": "same noise, but the predicted x_0 is clamped to [-1,1] at every step (eps re-derived)",
        **SAMPLES_NOTE})
    log("pixel ddpm", m)


# Earlier versions' figures (same evaluate.py metric code, same samples' seeds), kept in the README rows for comparison:
# the DCGAN's earlier generators, and the models that decode through the VAE before its decoder was sharpened
# (train_vae_sharpen.py).
BEFORE = {
    "fmnist-dcgan": "<br>before (the v2 recipe's 22 epochs, 6,582 s, which this model trained on from): 20.4% confident, FD 25.49, "
                    "10/10 classes; inversion median PSNR 24.93 dB (encoder only 18.75 dB). Before that: the same recipe stopped after 7 epochs (32 min, last iterate): 10.2% confident, FD 38.72, "
                    "10/10 classes; inversion median PSNR 23.62 dB (encoder only 18.97 dB). The v1 recipe (BatchNorm discriminator, "
                    "non-saturating loss, no EMA, batch 128, 8 ep / 961 s): 8.6% confident, FD 42.55, 10/10 classes; inversion "
                    "median PSNR 23.71 dB (encoder only 18.47 dB)",
    "fmnist-vae": "<br>before the decoder was sharpened: test PSNR 21.73 dB; reconstructions: 56.8% confident (p≥0.9), FD 16.94; "
                  "prior samples: 3.6% confident (p≥0.9), FD 57.13",
    "fmnist-ddpm-latent": "<br>before (the same samples decoded by the VAE's decoder before it was sharpened): 51.1% confident (p≥0.9), FD 19.53",
    "fmnist-ddpm-latent-cond": "<br>before (the same run at training step 36,000, 76.8 ep / 6,225 s): agreement 97.0%, 78.3% confident (p≥0.9), "
                               "FD 7.23, 10/10 classes; without a class: 14.8% confident (p≥0.9), FD 29.05; at step 22,000 (46.93 ep / 3,643 s): "
                               "agreement 97.5%, 76.1% confident (p≥0.9), "
                               "FD 7.78, 10/10 classes; without a class: 10.8% confident (p≥0.9), FD 32.95. Before that (an MLP over fmnist-vae's 16-d codes, 902,160 parameters, 64 ep / 706 s, default guidance 3): agreement "
                               "98.5%, 85.3% confident (p≥0.9), FD 11.81, 10/10 classes; without a class: 42.1% confident (p≥0.9), FD 15.03; "
                               "the same model at guidance 2: agreement 96.8%, 76.9% confident, FD 9.70. Before that (decoded by the VAE's "
                               "decoder before it was sharpened): agreement 97.5%, 81.3% confident (p≥0.9), FD 16.95; without a class: 41.1% "
                               "confident (p≥0.9), FD 23.28",
    "fmnist-ddpm-pixel-cond": "<br>fine-tuned from fmnist-ddpm-pixel as shipped (its EMA weights at training step 29,190), the class embedding "
                              "started at zero; new in this version",
    "fmnist-ddpm-pixel": "<br>before (84.42 ep / 6,750 s, training step 26,331: on 2 CPU cores to step 13,088, then on one H200 at batch 256): "
                         "DDIM-50 samples: 37.0% confident (p≥0.9), FD 15.15; with x0 clipping: 37.0% confident (p≥0.9), FD 15.28. Before that "
                         "(27.92 ep / 6,300 s on 2 CPU cores, training step 13,088): DDIM-50 samples: 30.0% confident (p≥0.9), FD 17.90; with x0 "
                         "clipping: 29.6% confident (p≥0.9), FD 17.94",
}


NOT_EVALUATED = "(not evaluated yet)"


def fmt_metrics(mid, m):
    """The README row's metrics: this evaluation's figures, then the earlier version's where one is kept."""
    text = metrics_text(mid, m)
    return text if text == NOT_EVALUATED else text + BEFORE.get(mid, "")


def metrics_text(mid, m):
    def hist_note(pre):
        return f"{m[pre + 'ConfidentShare']*100:.1f}% confident (p≥0.9), FD {m[pre + 'Fd']:.2f}"
    if mid == "fmnist-classifier":
        return f"test accuracy {m.get('testAccuracy', 0)*100:.2f}%; baseline for generators: 1,000 real train images score FD {m.get('train1000Fd', float('nan')):.2f}, {m.get('train1000ConfidentShare', 0)*100:.1f}% confident"
    if mid in ("fmnist-vae", "fmnist-ae", "fmnist-vae-spatial"):
        s = f"test PSNR {m.get('testPsnrDb', float('nan')):.2f} dB" + (" (mean code)" if mid != "fmnist-ae" else "")
        if "reconstructionsFd" in m:
            s += f"; reconstructions: {hist_note('reconstructions')}"
        if "priorSamplesFd" in m:
            s += f"; prior samples: {hist_note('priorSamples')}"
        return s
    if mid == "fmnist-dcgan" and "samplesFd" in m:
        classes = sum(1 for v in m.get("samplesClassHistogram", {}).values() if v > 0)
        return (f"samples: {hist_note('samples')}, {classes}/10 classes; inversion median PSNR {m['inversionMedianPsnrDb']:.2f} dB "
                f"(encoder only {m['encoderOnlyMedianPsnrDb']:.2f} dB); grad check max rel err {m['inversionGradMaxRelError']:.1e}")
    if "guidedFd" in m:
        classes = sum(1 for v in m.get("guidedClassHistogram", {}).values() if v > 0)
        return (f"DDIM-50, 100 of each class at guidance {m['guidance']:g}: classifier agrees with the class asked for on "
                f"{m['guidedAgreement']*100:.1f}%, {hist_note('guided')}, {classes}/10 classes; without a class: "
                f"{hist_note('unconditional')} (at training step {m['evaluatedAtStep']})")
    if "ddim50Fd" in m:
        s = "DDIM-50 samples: " + hist_note("ddim50")
        if "ddim50ClipX0Fd" in m:
            s += "; with x0 clipping: " + hist_note("ddim50ClipX0")
        if "evaluatedAtStep" in m:
            s += f" (at training step {m['evaluatedAtStep']})"
        return s
    return NOT_EVALUATED


EMOJI = ["emoji-classifier", "emoji-vae", "emoji-dit", "emoji-gan"]


def fmt_emoji_metrics(mid, m):
    if mid == "emoji-classifier" and "testPairAccuracy" in m:
        return (f"test accuracy: design system {m['testSystemAccuracy']*100:.1f}%, category {m['testCategoryAccuracy']*100:.1f}%, "
                f"pair {m['testPairAccuracy']*100:.1f}%; baseline for generators: 754 real train images score FD {m['trainSampleFd']:.2f}")
    if mid == "emoji-vae" and "testPsnrDb" in m:
        s = f"test PSNR {m['testPsnrDb']:.2f} dB (median {m['testPsnrMedianDb']:.2f})"
        if "testSsim" in m:
            s += f", SSIM {m['testSsim']:.3f}; reconstructions: FD {m['reconstructionsFd']:.2f}, pair agreement {m['reconstructionsPairAgreement']*100:.1f}%"
        return s
    if mid == "emoji-dit" and "ddim50Fd" in m:
        return (f"DDIM-50 at guidance {m['guidance']:g}: classifier agrees with the requested pair on {m['ddim50PairAgreement']*100:.1f}% "
                f"(design system {m['ddim50SystemAgreement']*100:.1f}%, category {m['ddim50CategoryAgreement']*100:.1f}%), FD {m['ddim50Fd']:.2f} "
                f"(at training step {m['evaluatedAtStep']})")
    return "(not evaluated yet)"


# What the size column says about how a graph was exported.
SIZE_NOTES = {"fmnist-ddpm-latent": "time projections tabled by t; see docs/PERFORMANCE.md",
              "fmnist-dcgan": "generator exported with its BatchNorms folded"}


def table_rows(ids, fmt, grids):
    rows = []
    for mid in ids:
        p = os.path.join(MODELS, mid, "manifest.json")
        if not os.path.exists(p):
            rows.append(f"| `{mid}` | — | — | — | — | not exported yet (status in `models/train/README.md`) |")
            continue
        man = json.load(open(p))
        tr, m = man.get("training", {}), man.get("metrics", {})
        params = tr.get("params")
        if isinstance(params, dict):
            params = " + ".join(f"{v:,} ({k})" for k, v in params.items() if "training only" not in k)
        else:
            params = f"{params:,}" if params else "?"
        command = f"<br>`{tr['command']}`" if tr.get("command") else ""
        length = f"{tr['epochs']} ep" if "epochs" in tr else f"{tr.get('steps')} steps"
        note = f" ({SIZE_NOTES[mid]})" if mid in SIZE_NOTES else ""
        rows.append(f"| `{mid}` | {man['kind']} | {params} | {folder_bytes(mid)/1e6:.2f} MB{note} | "
                    f"{length} / {tr.get('seconds')} s{command} | {fmt(mid, m)} |")
        for png in ("samples.png", "samples-clip-x0.png", "reconstructions.png", "inversion.png"):
            if os.path.exists(os.path.join(MODELS, mid, png)):
                grids.append(f"**{mid} – {png[:-4]}**\n\n![{mid} {png}]({mid}/{png})\n")
    return rows


def write_readme(only=None):
    """Regenerates models/README.md. With only (model ids), the table rows of the other models are kept as the
    README has them, and those models' rows keep their hand-written notes in parentheses after the ONNX size."""
    grids = []
    rows = table_rows(ALL, fmt_metrics, grids)
    emoji_rows = table_rows(EMOJI, fmt_emoji_metrics, grids)
    text = f"""# Bundled models

The Fashion-MNIST models are trained on Fashion-MNIST (train split, 60,000 images; Debian package `dataset-fashion-mnist`,
MIT licence, © 2017 Zalando SE) on CPU (2 cores, torch 1.13) and exported to ONNX (opset 17, dynamic batch axis;
the graphs with transposed convolutions are opset 18, written as MatMul + Col2Im; the pixel denoiser's GroupNorms
are LayerNormalization over each group with a BatchNormalization for the affine, and its one-channel output Conv is
depthwise + ReduceSum: see `models/train/common.py`).
Each folder holds `manifest.json` (format: `docs/MANIFEST-DRAFT.md`), the `.onnx` graphs and `parity.json`
(PyTorch-eager reference outputs at batch 1 and 8).

| id | kind | params (exported) | ONNX size | training | metrics |
|---|---|---|---|---|---|
{chr(10).join(rows)}

The emoji models are trained on the emoji-64 dataset built by `scripts/emoji-dataset.mjs` from four openly licensed
emoji sets on the npm registry (Noto, Apache-2.0; Twemoji, CC-BY-4.0; OpenMoji, CC-BY-SA-4.0; Fluent, MIT; licences
and attributions in `resources/dataset/licenses/`): 64x64 RGB, 6,532 training and 754 test images, split by emoji.
Metrics computed by `models/train/evaluate_emoji.py` with the project's emoji classifier (FD: Fréchet distance of
its 128-d features against the 754 test images; *agreement*: the share of samples it labels as requested).

| id | kind | params (exported) | ONNX size | training | metrics |
|---|---|---|---|---|---|
{chr(10).join(emoji_rows)}

Metrics (computed by `models/train/evaluate.py`):
- PSNR: mean over the 10,000 test images, images in [0,1] (VAE: decoded posterior mean).
- Generators: 1,000 samples each; *confident* = share the classifier labels with probability ≥ 0.9; *FD* = Fréchet
  distance between the classifier's 128-d penultimate features of the samples and of the 10,000 test images
  (FID-style with our own feature extractor, not comparable to Inception FID). For scale: 1,000 real training
  images give the FD listed for the classifier. Class histograms are in each manifest.
- Diffusion models are sampled with DDIM, 50 steps, η = 0.
- Inversion: 100 held-out test images (indices in `fmnist-dcgan/inversion-reference.json`), encoder warm start then
  300 Adam steps (lr 0.05, betas 0.9/0.999, constant) using the gradient computed by the exported `inversion` graph's
  module; PSNR of G(z*) in [0,1].

## Retraining

Run from the repository root with Debian's Python (the `python3` on PATH cannot see Debian's torch):

```sh
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1
/usr/bin/python3 models/train/make_dataset_sample.py        # resources/dataset/fashion-mnist-t10k.lsds.gz + .json
/usr/bin/python3 models/train/train_classifier.py           # fmnist-classifier
/usr/bin/python3 models/train/train_vae.py                  # fmnist-vae (--export-only re-exports the decoder)
/usr/bin/python3 models/train/train_vae_sharpen.py --steps 3000  # fmnist-vae's decoder, sharpened (encoder and latent space unchanged),
/usr/bin/python3 models/train/train_vae_sharpen.py --steps 4500 --adv 0.7  # then 1,500 more steps at a stronger adversarial weight
/usr/bin/python3 models/train/train_ae.py                   # fmnist-ae
/usr/bin/python3 models/train/train_ddpm_latent.py          # fmnist-ddpm-latent (needs the VAE checkpoint; --export-only re-exports the graph)
/usr/bin/python3 models/train/train_fmnist_vae_spatial.py --minutes 30   # fmnist-vae-spatial (again to continue; --export-only)
/usr/bin/python3 models/train/train_ddpm_latent_spatial.py --steps 16000 --minutes 60  # fmnist-ddpm-latent-cond over it (class-conditional; again to continue; --export-only),
/usr/bin/python3 models/train/train_ddpm_latent_spatial.py --steps 22000 --p-uncond 0.2  # then 6,000 steps more with 20% null labels,
/usr/bin/python3 models/train/train_ddpm_latent_spatial.py --steps 36000 --p-uncond 0.2 --minutes 45  # and 14,000 more,
/usr/bin/python3 models/train/train_ddpm_latent_spatial.py --steps 50000 --p-uncond 0.2 --minutes 50  # and 14,000 more again (the bundled one)
/usr/bin/python3 models/train/train_dcgan.py --epochs 60 --gan-minutes 103 --generator ema  # fmnist-dcgan v2, 22 epochs (generator, inversion, encoder; --export-only re-exports them)
/usr/bin/python3 models/train/train_dcgan.py --from-onnx --disc wide --lr-g 1e-4 --lr-d 2e-4 --d-warmup 1000 --epochs 38 --generator ema  # then on to 38 (the bundled one)
/usr/bin/python3 models/train/train_ddpm_pixel.py --minutes 40           # fmnist-ddpm-pixel, fresh
/usr/bin/python3 models/train/train_ddpm_pixel.py --resume --minutes 60  # continue pixel DDPM training (--from-onnx on a fresh clone)
/usr/bin/python3 models/train/train_ddpm_pixel_cond.py --minutes 60      # fmnist-ddpm-pixel-cond, fine-tuned from the pixel DDPM (--from-onnx on a fresh clone; again to continue, or --continue-onnx from its shipped graph)
/usr/bin/python3 models/train/evaluate.py                   # metrics -> manifests, grids, this README

node scripts/emoji-dataset.mjs                              # models/train/data/emoji-64 (npm registry packages)
/usr/bin/python3 models/train/train_emoji_vae.py --minutes 60    # emoji-vae (again to continue; --export-only)
/usr/bin/python3 models/train/train_emoji_classifier.py     # emoji-classifier
/usr/bin/python3 models/train/train_emoji_dit.py --minutes 60    # emoji-dit over the exported emoji-vae (again to continue; --export-only)
/usr/bin/python3 models/train/evaluate_emoji.py             # emoji metrics -> manifests, grids, this README
```

See `models/train/README.md` for details. Checkpoints go to `models/train/checkpoints/` (git-ignored).

## Sample grids

{chr(10).join(grids)}
"""
    path = os.path.join(MODELS, "README.md")
    if only is not None and os.path.exists(path):
        old_rows = {line.split(" | ")[0]: line for line in open(path).read().splitlines() if line.startswith("| `")}
        lines = []
        for line in text.splitlines():
            key = line.split(" | ")[0]
            if line.startswith("| `") and key in old_rows:
                if key.strip("|` ") not in only:
                    line = old_rows[key]
                else:
                    new, old = line.split(" | "), old_rows[key].split(" | ")
                    if "(" in old[3] and "(" not in new[3]:
                        new[3] += old[3][old[3].index("(") - 1:]
                    line = " | ".join(new)
            lines.append(line)
        text = "\n".join(lines) + "\n"
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(ALL))
    ap.add_argument("--readme-only", action="store_true")
    args = ap.parse_args()
    setup(0)
    if not args.readme_only:
        only = args.only.split(",")
        judge = Judge()
        steps = {"fmnist-classifier": lambda: eval_classifier(judge), "fmnist-vae": lambda: eval_vae(judge),
                 "fmnist-ae": lambda: eval_vae(judge, ae=True), "fmnist-ddpm-latent": lambda: eval_ddpm_latent(judge),
                 "fmnist-vae-spatial": lambda: eval_vae_spatial(judge), "fmnist-ddpm-latent-cond": lambda: eval_ddpm_latent_cond(judge),
                 "fmnist-dcgan": lambda: eval_dcgan(judge), "fmnist-ddpm-pixel": lambda: eval_ddpm_pixel(judge),
                 "fmnist-ddpm-pixel-cond": lambda: eval_ddpm_pixel_cond(judge)}
        for mid in ALL:
            if mid in only and os.path.exists(os.path.join(MODELS, mid, "manifest.json")):
                steps[mid]()
    write_readme(None if args.readme_only or args.only == ",".join(ALL) else args.only.split(","))
    log("README written")


if __name__ == "__main__":
    main()
