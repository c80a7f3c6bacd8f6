"""emoji-classifier: design system and Unicode category of a 64x64 emoji, with 128-d penultimate features.

Run: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_emoji_classifier.py [--epochs 12]
     (again to continue from models/train/checkpoints/emoji_classifier.pt)
Data: node scripts/emoji-dataset.mjs first.

One head over the 36 pairs (design system x category, index system * 9 + category, the labels emoji-dit is
conditioned on), so the app's single-head classifier contract shows "Twemoji · Food & Drink"; the system's and the
category's probabilities are the head's marginals, and the metrics report the accuracy of each. The features drive
the distance-from-data readout and the FD of the emoji generators.
"""
import argparse, os
import torch, torch.nn as nn, torch.nn.functional as F
from common import (Timer, count_params, export_onnx, io_spec, log, model_dir, parity_case, save_ckpt, load_ckpt, setup,
                    write_json, write_manifest)
from train_emoji_vae import load_split

SEED = 13
MID = "emoji-classifier"
SYSTEMS, CATEGORIES = 4, 9
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Classifier(nn.Module):
    def __init__(self, feat=128):
        super().__init__()
        def blk(i, o):
            return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]
        self.body = nn.Sequential(*blk(3, 32), nn.MaxPool2d(2), *blk(32, 64), nn.MaxPool2d(2),
                                  *blk(64, 128), nn.MaxPool2d(2), *blk(128, 128), nn.AdaptiveAvgPool2d(2), nn.Flatten())
        self.fc = nn.Linear(128 * 4, feat)
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(feat, SYSTEMS * CATEGORIES)

    def forward(self, x):
        f = F.relu(self.fc(self.body(x)))
        return self.head(self.drop(f)), f


@torch.no_grad()
def accuracy(m, x, system, category):
    m.eval()
    device = next(m.parameters()).device
    pairs = torch.cat([m(x[i:i + 256].to(device))[0].cpu() for i in range(0, len(x), 256)]).softmax(1).reshape(-1, SYSTEMS, CATEGORIES)
    return ((pairs.sum(2).argmax(1) == system).float().mean().item(), (pairs.sum(1).argmax(1) == category).float().mean().item())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--bs", type=int, default=64)
    args = ap.parse_args()
    setup(SEED)
    xtr, str_, meta = load_split("train")
    xte, ste, meta_te = load_split("test")
    ctr = torch.tensor(meta["labelSets"]["category"]["values"])
    cte = torch.tensor(meta_te["labelSets"]["category"]["values"])
    ytr = str_ * CATEGORIES + ctr
    m = Classifier().to(DEVICE)
    opt = torch.optim.AdamW(m.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = args.epochs * ((len(xtr) + args.bs - 1) // args.bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    gen = torch.Generator().manual_seed(SEED)
    ck = load_ckpt("emoji_classifier.pt")
    start, timer = 0, Timer()
    if ck:
        m.load_state_dict(ck["model"]); opt.load_state_dict(ck["opt"]); sched.load_state_dict(ck["sched"])
        gen.set_state(ck["gen"]); start = ck["epoch"]; timer = Timer(ck["seconds"])
    for ep in range(start, args.epochs):
        m.train()
        order = torch.randperm(len(xtr), generator=gen)
        total = 0.0
        for b in range(0, len(xtr), args.bs):
            idx = order[b:b + args.bs]
            xb = xtr[idx]
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb).to(DEVICE)
            loss = F.cross_entropy(m(xb)[0], ytr[idx].to(DEVICE), label_smoothing=0.05)
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()
            total += loss.item() * len(idx)
        sa, ca = accuracy(m, xte, ste, cte)
        log(f"epoch {ep + 1} loss {total / len(xtr):.4f} test accuracy: design system {sa:.4f}, category {ca:.4f} t {timer.total():.0f}s")
        save_ckpt("emoji_classifier.pt", {"model": m.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "gen": gen.get_state(), "epoch": ep + 1, "seconds": timer.total()})
    m = m.cpu().eval()
    sa, ca = accuracy(m, xte, ste, cte)
    d = model_dir(MID)
    size = export_onnx(m, (xte[:2],), ["x"], ["logits", "features"], os.path.join(d, "classifier.onnx"))
    write_json(os.path.join(d, "parity.json"), {"classifier": [parity_case(m, {"x": xte[:1]}, ["logits", "features"]), parity_case(m, {"x": xte[1:9]}, ["logits", "features"])]}, indent=None)
    systems, categories = meta["labelSets"]["system"]["names"], meta["labelSets"]["category"]["names"]
    nparams = count_params(m)
    write_manifest(MID, {
        "name": "Emoji classifier",
        "kind": "classifier",
        "description": "Small CNN naming a 64x64 emoji's design system and Unicode category (one head over the 36 pairs); its 128-d penultimate features drive the distance-from-data readout and FD.",
        "image": {"channels": 3, "height": 64, "width": 64, "range": [-1, 1]},
        "graphs": {"classifier": {"file": "classifier.onnx", "inputs": io_spec([("x", ["batch", 3, 64, 64])]),
                                  "outputs": io_spec([("logits", ["batch", SYSTEMS * CATEGORIES]), ("features", ["batch", 128])])}},
        "labels": [f"{s} · {c}" for s in systems for c in categories],
        "training": {"data": "emoji-64 train split (scripts/emoji-dataset.mjs)", "script": "models/train/train_emoji_classifier.py", "seed": SEED,
                     "epochs": args.epochs, "seconds": int(round(timer.total())), "torch": torch.__version__.split("a")[0].split("+")[0],
                     "device": "cpu (2 cores)", "params": nparams, "loss": "cross-entropy over the 36 pairs, label smoothing 0.05, mirrored half the time",
                     "optimizer": "AdamW one-cycle max lr 3e-3, batch 64"},
        "metrics": {"testSystemAccuracy": round(sa, 4), "testCategoryAccuracy": round(ca, 4), "params": nparams, "onnxBytes": size},
    })
    log(f"exported {MID}: design system {sa:.4f}, category {ca:.4f}, {nparams} params, {size} bytes")


if __name__ == "__main__":
    main()
