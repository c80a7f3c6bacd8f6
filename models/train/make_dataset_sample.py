"""Writes resources/dataset/fashion-mnist-t10k.lsds.gz and fashion-mnist.json (LSDS format, see docs/MANIFEST-DRAFT.md).

Run: /usr/bin/python3 models/train/make_dataset_sample.py
"""
import gzip, json, os, struct
from common import ROOT, LABELS, load_split

MIT = ("The MIT License (MIT) Copyright \u00a9 2017 Zalando SE, https://tech.zalando.com\n\n"
       "Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated "
       "documentation files (the \u201cSoftware\u201d), to deal in the Software without restriction, including without "
       "limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the "
       "Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:\n\n"
       "The above copyright notice and this permission notice shall be included in all copies or substantial portions "
       "of the Software.\n\n"
       "THE SOFTWARE IS PROVIDED \u201cAS IS\u201d, WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT "
       "LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT "
       "SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION "
       "OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER "
       "DEALINGS IN THE SOFTWARE.")


def main():
    x, y = load_split("t10k")
    n, h, w = x.shape
    out = os.path.join(ROOT, "resources", "dataset")
    os.makedirs(out, exist_ok=True)
    payload = b"LSDS0001" + struct.pack("<IIII", n, 1, h, w) + y.astype("uint8").tobytes() + x.astype("uint8").tobytes()
    # mtime=0 keeps the gzip byte-identical across reruns
    with open(os.path.join(out, "fashion-mnist-t10k.lsds.gz"), "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(payload)
    meta = {
        "name": "Fashion-MNIST test set (t10k)",
        "labels": LABELS,
        "count": int(n), "channels": 1, "height": int(h), "width": int(w),
        "file": "fashion-mnist-t10k.lsds.gz",
        "source": "https://github.com/zalandoresearch/fashion-mnist (Debian package dataset-fashion-mnist, t10k-images-idx3-ubyte.gz / t10k-labels-idx1-ubyte.gz)",
        "license": "MIT",
        "notice": MIT,
    }
    with open(os.path.join(out, "fashion-mnist.json"), "w") as f:
        json.dump(meta, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("wrote", n, "images")


if __name__ == "__main__":
    main()
