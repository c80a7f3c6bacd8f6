#!/bin/sh
# Copies what a GPU training run (run.sh) needs into DEST, a folder that travels to the GPU machine on its own
# (the whole repository is larger than what may travel): the training scripts, the emoji-64 data, the graphs the
# runs start from or encode with, and Fashion-MNIST from Debian's dataset-fashion-mnist.
#   sh models/train/gpu/stage.sh DEST
set -eu
DEST=$1
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
mkdir -p "$DEST/models/train/gpu" "$DEST/models/train/data/emoji-64" "$DEST/models/emoji-vae" "$DEST/models/fmnist-ddpm-pixel" \
         "$DEST/tests/bench" "$DEST/tests/fixtures/models" "$DEST/fashion-mnist"
cp "$ROOT"/models/train/*.py "$DEST/models/train/"
cp "$ROOT"/models/train/gpu/*.py "$ROOT"/models/train/gpu/*.sh "$DEST/models/train/gpu/"
mkdir -p "$DEST/models/train/resume" && cp "$ROOT"/models/train/resume/emoji_dit.pt "$DEST/models/train/resume/"
cp "$ROOT"/models/train/data/emoji-64/train.* "$ROOT"/models/train/data/emoji-64/test.* "$DEST/models/train/data/emoji-64/"
cp "$ROOT"/models/emoji-vae/encoder.onnx "$ROOT"/models/emoji-vae/manifest.json "$DEST/models/emoji-vae/"
cp "$ROOT"/models/fmnist-ddpm-pixel/denoiser.onnx "$ROOT"/models/fmnist-ddpm-pixel/manifest.json "$DEST/models/fmnist-ddpm-pixel/"
cp "$ROOT"/tests/bench/onnx_weights.py "$DEST/tests/bench/"
cp "$ROOT"/tests/fixtures/models/build_fixtures.py "$DEST/tests/fixtures/models/"
cp /usr/share/datasets/fashion-mnist/*.gz "$DEST/fashion-mnist/"
du -sh "$DEST"
