#!/bin/sh
# One GPU session's training, run from a folder made by stage.sh: four runs side by side on one GPU, each bounded by
# MINUTES of training (the DiT goes on from the shipped model's resume/emoji_dit.pt), then their checkpoints packed (pack.py) into OUT with their logs. Back on a CPU machine:
#   /usr/bin/python3 models/train/gpu/unpack.py OUT/*.npz, then each script's --export-only.
#   MINUTES=6.5 OUT=/some/dir sh models/train/gpu/run.sh
set -u
cd "$(dirname "$0")/../../.."
MINUTES=${MINUTES:-6.5}
export PYTHONUNBUFFERED=1 LS_CHECKPOINTS=${LS_CHECKPOINTS:-/tmp/ls-checkpoints} LS_FASHION_MNIST=$PWD/fashion-mnist
mkdir -p "$LS_CHECKPOINTS" "$OUT"
PY=${PY:-python3}
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
# A hard stop a minute past each run's own budget, so packing always happens inside the call's limit.
LIMIT=$(awk "BEGIN { print int($MINUTES * 60 + 75) }")
timeout $LIMIT $PY models/train/train_emoji_dit.py --bs 256 --steps 10000000 --minutes "$MINUTES" > "$OUT/dit.log" 2>&1 &
timeout $LIMIT $PY models/train/train_emoji_gan.py --bs 64 --kimg 100000 --minutes "$(awk "BEGIN { print $MINUTES - 0.8 }")" --enc-steps "${GAN_ENC:-3000}" --no-export > "$OUT/gan.log" 2>&1 &
timeout $LIMIT $PY models/train/train_ddpm_pixel.py --from-onnx --bs 256 --minutes "$MINUTES" --no-export --ckpt-every 5000 > "$OUT/pixel.log" 2>&1 &
timeout $LIMIT $PY models/train/train_dcgan.py --epochs 1000 --gan-minutes "$(awk "BEGIN { print $MINUTES - 0.7 }")" --enc-steps "${DCGAN_ENC:-2500}" --no-export > "$OUT/dcgan.log" 2>&1 &
wait
$PY models/train/gpu/pack.py "$LS_CHECKPOINTS" "$OUT" emoji_dit.pt:net emoji_gan.pt:G,D ddpm_pixel.pt dcgan_final.pt
ls -la "$OUT"
