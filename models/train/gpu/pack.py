"""Packs training checkpoints into .npz files a CPU machine reads back (gpu/unpack.py).

A GPU machine's torch is newer than Debian's 1.13, and only a few files of a bounded size come back from it, so the
optimizer's moments are dropped and the training weights (used only to go on training) are kept in float16; the EMA
weights, which are exported, stay float32. Non-tensor fields (step, seconds, device, ...) travel as JSON.

    python3 models/train/gpu/pack.py CHECKPOINT_DIR OUT_DIR name.pt[:half_key,...] ...
"""
import json, os, sys
import numpy as np
import torch

DROP = {"opt", "optG", "optD", "optE", "sched"}


def pack(src, dst, half):
    ck = torch.load(src, map_location="cpu", weights_only=False)
    arrays, meta = {}, {}
    for top, value in ck.items():
        if top in DROP:
            continue
        if isinstance(value, dict) and value and all(torch.is_tensor(v) for v in value.values()):
            for k, v in value.items():
                v = v.detach().cpu()
                if top in half and v.is_floating_point():
                    v = v.half()
                arrays[f"{top}::{k}"] = v.numpy()
        elif torch.is_tensor(value):
            arrays[top] = value.detach().cpu().numpy()
        else:
            meta[top] = value
    arrays["__meta__"] = np.array(json.dumps(meta))
    np.savez(dst, **arrays)
    return os.path.getsize(dst)


if __name__ == "__main__":
    src_dir, out_dir = sys.argv[1], sys.argv[2]
    for spec in sys.argv[3:]:
        name, _, half = spec.partition(":")
        src = os.path.join(src_dir, name)
        if not os.path.exists(src):
            print(f"{name}: no checkpoint", flush=True)
            continue
        size = pack(src, os.path.join(out_dir, name.replace(".pt", ".npz")), set(filter(None, half.split(","))))
        print(f"{name}: {size / 1e6:.1f} MB", flush=True)
