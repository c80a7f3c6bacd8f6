"""Fashion-MNIST CNN classifier (logits + 128-d penultimate features). Exports models/fmnist-classifier.

Run: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_classifier.py [--epochs 6]
"""
import argparse, os
import torch, torch.nn as nn, torch.nn.functional as F
from common import *

SEED = 0


class Classifier(nn.Module):
    def __init__(self, feat=128):
        super().__init__()
        def blk(i, o):
            return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]
        self.body = nn.Sequential(*blk(1, 32), *blk(32, 32), nn.MaxPool2d(2),
                                  *blk(32, 64), *blk(64, 64), nn.MaxPool2d(2), nn.Flatten())
        self.fc = nn.Linear(64 * 7 * 7, feat)
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(feat, 10)

    def forward(self, x):
        f = F.relu(self.fc(self.body(x)))
        return self.head(self.drop(f)), f


def load_classifier():
    m = Classifier()
    m.load_state_dict(torch.load(os.path.join(CKPT, "classifier_final.pt")))
    return m.eval()


@torch.no_grad()
def evaluate(m, x, y):
    m.eval()
    correct = 0
    for i in range(0, len(x), 1000):
        correct += (m(x[i:i + 1000])[0].argmax(1) == y[i:i + 1000]).sum().item()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--bs", type=int, default=128)
    args = ap.parse_args()
    setup(SEED)
    xtr, ytr = load_tensors("train")
    xte, yte = load_tensors("t10k")
    m = Classifier()
    opt = torch.optim.AdamW(m.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = args.epochs * ((len(xtr) + args.bs - 1) // args.bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    gen = torch.Generator().manual_seed(SEED)
    ck = load_ckpt("classifier.pt")
    start, timer = 0, Timer()
    if ck:
        m.load_state_dict(ck["model"]); opt.load_state_dict(ck["opt"]); sched.load_state_dict(ck["sched"])
        gen.set_state(ck["gen"]); start = ck["epoch"]; timer = Timer(ck["seconds"])
    for ep in range(start, args.epochs):
        m.train()
        tot = 0.0
        for idx in batches(len(xtr), args.bs, gen):
            xb = xtr[idx]
            flip = torch.rand(len(idx), generator=gen) < 0.5          # horizontal flip augmentation
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            logits, _ = m(xb)
            loss = F.cross_entropy(logits, ytr[idx], label_smoothing=0.05)
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()
            tot += loss.item() * len(idx)
        acc = evaluate(m, xte, yte)
        log(f"epoch {ep+1} loss {tot/len(xtr):.4f} test acc {acc:.4f} t {timer.total():.0f}s")
        save_ckpt("classifier.pt", {"model": m.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                                     "gen": gen.get_state(), "epoch": ep + 1, "seconds": timer.total()})
    seconds = timer.total()
    m.eval()
    torch.save(m.state_dict(), os.path.join(CKPT, "classifier_final.pt"))
    acc = evaluate(m, xte, yte)
    d = model_dir("fmnist-classifier")
    size = export_onnx(m, (xte[:2],), ["x"], ["logits", "features"], os.path.join(d, "classifier.onnx"))
    parity = {"classifier": [parity_case(m, {"x": xte[:1]}, ["logits", "features"]),
                             parity_case(m, {"x": xte[1:9]}, ["logits", "features"])]}
    write_json(os.path.join(d, "parity.json"), parity, indent=None)
    write_manifest("fmnist-classifier", {
        "name": "Fashion-MNIST classifier",
        "kind": "classifier",
        "description": "Small CNN (4 conv + 2 fc) classifying the 10 Fashion-MNIST classes; its 128-d penultimate features drive FID-style metrics.",
        "image": {"channels": 1, "height": 28, "width": 28, "range": [0, 1]},
        "graphs": {"classifier": {"file": "classifier.onnx",
                                  "inputs": io_spec([("x", ["batch", 1, 28, 28])]),
                                  "outputs": io_spec([("logits", ["batch", 10]), ("features", ["batch", 128])])}},
        "labels": LABELS,
        "training": training_info("train_classifier.py", SEED, args.epochs, seconds, params=count_params(m),
                                  optimizer="AdamW one-cycle max lr 3e-3, batch 128, hflip, label smoothing 0.05"),
        "metrics": {"testAccuracy": round(acc, 4), "params": count_params(m), "onnxBytes": size},
    })
    log(f"done: acc {acc:.4f} params {count_params(m)} onnx {size} bytes, {seconds:.0f}s")


if __name__ == "__main__":
    main()
