"""Metrics for the emoji models, written into each models/<id>/manifest.json (metrics{}), with sample grids
(models/<id>/*.png); then models/README.md is regenerated (evaluate.write_readme).

Run: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/evaluate_emoji.py [--only emoji-classifier,emoji-vae,emoji-dit]
Data: node scripts/emoji-dataset.mjs first. The classifier and the VAE are rebuilt from the weights of their exported
graphs (checked against parity.json), so the figures are those of what the app runs; so is the DiT once exported
(before that, it is sampled from its latest checkpoint's EMA weights, in models/train/checkpoints/ or resume/).

- emoji-classifier: test accuracy of the design system, the category and the pair; the FD baseline (as many random
  training images as the test split holds, scored like generator samples).
- emoji-vae: PSNR and SSIM of the posterior mean's reconstruction over the test split, images in [0, 1].
- emoji-dit: one sample per test image, asking for that image's design system and category, DDIM-50 (trailing
  spacing, eta 0) with classifier-free guidance 7 (the manifest's default), as the app samples it; agreement = share of samples whose
  classifier argmax is the requested pair (and its system, its category); FD between the classifier's 128-d
  features of the samples and of the test images.
"""
import argparse, json, os
import numpy as np
import torch, torch.nn.functional as F
from common import CKPT, MODELS, exported_weights, load_ckpt, log, psnr, setup
import evaluate
from evaluate import check_parity, frechet, save_grid, stats, write_readme
from train_emoji_vae import from_exported, load_split
import train_emoji_classifier as tc
import train_emoji_dit as td

ow, onnx = exported_weights()

EMOJI = ["emoji-classifier", "emoji-vae", "emoji-dit"]
GUIDANCE, STEPS = float(td.GUIDANCE), 50


def load_classifier():
    m, _ = ow.classifier(torch, onnx, os.path.join(MODELS, "emoji-classifier", "classifier.onnx"), module=tc.Classifier())
    check_parity("emoji-classifier", "classifier", m, ["logits", "features"])
    return m


def load_vae():
    """emoji-vae's encoder and decoder from their graphs, checked against parity.json."""
    enc, dec = from_exported("encoder")[0], from_exported("decoder")[0]
    check_parity("emoji-vae", "encoder", enc, ["mean", "logvar"])
    check_parity("emoji-vae", "decoder", dec, ["x"])
    return enc, dec


class Judge:
    """The emoji classifier's verdicts and features, with the test split's feature statistics as the reference."""

    def __init__(self):
        self.clf = load_classifier()
        self.xte, self.system, meta = load_split("test")
        self.category = torch.tensor(meta["labelSets"]["category"]["values"])
        self.names = meta["labelSets"]["system"]["names"], meta["labelSets"]["category"]["names"]
        _, f = self.run(self.xte)
        self.ref = stats(f)

    @torch.no_grad()
    def run(self, x):
        out = [self.clf(x[i:i + 256]) for i in range(0, len(x), 256)]
        return torch.cat([o[0] for o in out]), torch.cat([o[1] for o in out])

    def agreement(self, x, system, category, prefix):
        logits, f = self.run(x.clamp(-1, 1))
        pairs = logits.softmax(1).reshape(-1, tc.SYSTEMS, tc.CATEGORIES)
        joint = logits.argmax(1) == system * tc.CATEGORIES + category
        return {prefix + "PairAgreement": round(joint.float().mean().item(), 4),
                prefix + "SystemAgreement": round((pairs.sum(2).argmax(1) == system).float().mean().item(), 4),
                prefix + "CategoryAgreement": round((pairs.sum(1).argmax(1) == category).float().mean().item(), 4),
                prefix + "Fd": round(frechet(*stats(f), *self.ref), 3)}


def update_metrics(mid, metrics, evaluation):
    evaluate.update_metrics(mid, metrics, evaluation, script="models/train/evaluate_emoji.py")
    log(mid, metrics)


def eval_classifier(judge):
    m = judge.agreement(judge.xte, judge.system, judge.category, "test")
    xtr, str_, meta = load_split("train")
    idx = torch.randperm(len(xtr), generator=torch.Generator().manual_seed(11))[:len(judge.xte)]
    ctr = torch.tensor(meta["labelSets"]["category"]["values"])
    base = judge.agreement(xtr[idx], str_[idx], ctr[idx], "train")
    update_metrics("emoji-classifier", {"testPairAccuracy": m["testPairAgreement"], "testSystemAccuracy": m["testSystemAgreement"],
                                        "testCategoryAccuracy": m["testCategoryAgreement"], "trainSampleFd": base["trainFd"]},
                   {"trainSampleFd": f"{len(judge.xte)} random training images scored like generator samples (the FD baseline)"})


def ssim(a, b, window=7):
    """Mean SSIM of images in [0, 1] (uniform window, constants of Wang et al. 2004), per image."""
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    pool = lambda x: F.avg_pool2d(x, window, 1)
    ma, mb = pool(a), pool(b)
    va, vb, cov = pool(a * a) - ma ** 2, pool(b * b) - mb ** 2, pool(a * b) - ma * mb
    s = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2))
    return s.flatten(1).mean(1)


@torch.no_grad()
def eval_vae(judge):
    enc, dec = load_vae()
    x = judge.xte
    rec = torch.cat([dec(enc(x[i:i + 256])[0]) for i in range(0, len(x), 256)]).clamp(-1, 1)
    x01, r01 = (x + 1) / 2, (rec + 1) / 2
    p, s = psnr(r01, x01), ssim(r01, x01)
    pair = torch.stack([x01[:32].view(4, 8, 3, 64, 64), r01[:32].view(4, 8, 3, 64, 64)], 1).reshape(64, 3, 64, 64)
    save_grid(pair, os.path.join(MODELS, "emoji-vae", "reconstructions.png"), scale=1)
    m = {"testPsnrDb": round(p.mean().item(), 3), "testPsnrMedianDb": round(p.median().item(), 3), "testSsim": round(s.mean().item(), 4)}
    m.update(judge.agreement(rec, judge.system, judge.category, "reconstructions"))
    update_metrics("emoji-vae", m, {"testPsnrDb": "mean over the 754 test images, [0,1] range, decoded posterior mean",
                                    "testSsim": "mean SSIM (7x7 uniform window) over the test images",
                                    "reconstructionsFd": "FD of the reconstructions' classifier features against the test images'"})
    return dec


def ddim_timesteps(steps, T=td.T):
    """Trailing spacing, as the manifest states and the app samples: 999, 979, ..., 19."""
    return [int(round(t)) - 1 for t in np.arange(T, 0, -T / steps)]


@torch.no_grad()
def sample_dit(net, labels, gen, guidance=GUIDANCE, steps=STEPS, batch=128):
    abar = td.scaled_linear_alphas_cumprod().double()
    ts = ddim_timesteps(steps)
    out = []
    for i in range(0, len(labels), batch):
        y = labels[i:i + batch]
        x = torch.randn(len(y), *td.LATENT, generator=gen).double()
        for j, t in enumerate(ts):
            a, a_prev = abar[t], (abar[ts[j + 1]] if j + 1 < len(ts) else torch.tensor(1.0, dtype=torch.float64))
            both = net(torch.cat([x, x]).float(), torch.full((2 * len(y),), t, dtype=torch.int64), torch.cat([y, torch.full_like(y, td.NULL)])).double()
            cond, uncond = both.chunk(2)
            eps = uncond + guidance * (cond - uncond)
            x0 = (x - (1 - a).sqrt() * eps) / a.sqrt()
            x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
        out.append(x.float())
    return torch.cat(out)


@torch.no_grad()
def eval_dit(judge, dec, guidance=GUIDANCE):
    manifest_path = os.path.join(MODELS, "emoji-dit", "manifest.json")
    if os.path.exists(manifest_path):
        # The exported graph's weights, so the figures are those of what ships (resume/emoji_dit.pt keeps them in float16).
        training = json.load(open(manifest_path))["training"]
        net, _ = ow.emoji_dit(torch, onnx, os.path.join(MODELS, "emoji-dit", "denoiser.onnx"))
        check_parity("emoji-dit", "denoiser", lambda x, t, y: net(x, t.long(), y.long()), ["eps"])
        step, weights = training["steps"], "ema" if training.get("exported", "the EMA weights") == "the EMA weights" else "net"
    else:
        ck = load_ckpt("emoji_dit.pt")
        if not ck:
            raise SystemExit("no emoji_dit.pt checkpoint: train models/train/train_emoji_dit.py first")
        net, step, weights = td.DiT(patch=ck.get("patch", 2)), ck["step"], "ema"
        net.load_state_dict({k: v.float() for k, v in ck["ema"].items()})
        net.eval()
    scale = json.load(open(os.path.join(MODELS, "emoji-vae", "manifest.json")))["training"]["latentScale"]
    gen = torch.Generator().manual_seed(31)
    labels = judge.system * tc.CATEGORIES + judge.category
    z = sample_dit(net, labels, gen, guidance)
    x = torch.cat([dec(z[i:i + 256] / scale) for i in range(0, len(z), 256)]).clamp(-1, 1)
    m = {"evaluatedAtStep": step, "guidance": guidance, "weights": weights}
    m.update(judge.agreement(x, judge.system, judge.category, "ddim50"))
    log("emoji-dit", m)
    # A grid of every pair: a row per design system and category group, two samples of each pair.
    grid_labels = torch.arange(tc.SYSTEMS * tc.CATEGORIES).repeat_interleave(2)
    g = sample_dit(net, grid_labels, torch.Generator().manual_seed(32), guidance)
    images = torch.cat([dec(g[i:i + 256] / scale) for i in range(0, len(g), 256)]).clamp(-1, 1)
    # Before the model ships, its grid goes beside the checkpoint (git-ignored), to look at.
    folder = os.path.join(MODELS, "emoji-dit") if os.path.exists(manifest_path) else CKPT
    save_grid((images + 1) / 2, os.path.join(folder, "emoji-dit-samples.png" if folder == CKPT else "samples.png"), nrow=18, scale=1)
    if os.path.exists(os.path.join(MODELS, "emoji-dit", "manifest.json")):
        update_metrics("emoji-dit", m, {"samples": f"one per test image ({len(labels)}), asking for its design system and category; DDIM {STEPS} steps, trailing spacing, eta 0, guidance {guidance}",
                                        "ddim50PairAgreement": "share of samples the emoji-classifier labels with the requested design system and category",
                                        "ddim50Fd": "Frechet distance between emoji-classifier 128-d features of the samples and of the test images",
                                        "grid": "samples.png: two samples of each pair, a row per design system (Noto, Twemoji, OpenMoji, Fluent) across the 9 categories"})
    else:
        log("emoji-dit is not exported yet: its metrics stay out of the manifests and the README")
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(EMOJI))
    ap.add_argument("--guidance", type=float, default=GUIDANCE)
    args = ap.parse_args()
    setup(0)
    only = args.only.split(",")
    judge = Judge()
    if "emoji-classifier" in only:
        eval_classifier(judge)
    dec = eval_vae(judge) if "emoji-vae" in only else load_vae()[1]
    if "emoji-dit" in only:
        eval_dit(judge, dec, args.guidance)
    write_readme(only)
    log("README written")


if __name__ == "__main__":
    main()
