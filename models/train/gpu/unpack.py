"""Turns gpu/pack.py's .npz files back into checkpoints under models/train/checkpoints/, which the training
scripts then export (--export-only) or go on training (a fresh optimizer; the weights in float32 again).

    /usr/bin/python3 models/train/gpu/unpack.py FILE.npz ...
"""
import json, os, sys
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from common import save_ckpt  # noqa: E402


def unpack(path):
    data = np.load(path, allow_pickle=False)
    ck = json.loads(str(data["__meta__"]))
    for key in data.files:
        if key == "__meta__":
            continue
        t = torch.from_numpy(np.array(data[key]))
        if t.dtype == torch.float16:
            t = t.float()
        top, _, k = key.partition("::")
        if k:
            ck.setdefault(top, {})[k] = t
        else:
            ck[top] = t
    name = os.path.basename(path).replace(".npz", ".pt")
    save_ckpt(name, ck)
    return name, {k: v for k, v in ck.items() if not isinstance(v, (dict, torch.Tensor))}


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(*unpack(p))
