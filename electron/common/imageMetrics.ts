/** Image quality measures for images in [0, 1]. */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  const mse = sum / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10(1 / mse);
}

/**
 * Mean SSIM (Wang et al. 2004) of two single-channel images of width × height
 * in [0, 1], with the paper's 11×11 Gaussian window (σ = 1.5), K1 = 0.01, K2 = 0.03,
 * over the positions where the window fits.
 */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number): number {
  const size = 11;
  const half = 5;
  const weights = Array.from({ length: size }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * 1.5 ** 2)));
  const total = weights.reduce((s, w) => s + w, 0);
  const w1 = weights.map((w) => w / total);
  const C1 = 0.01 ** 2;
  const C2 = 0.03 ** 2;
  let sum = 0;
  let count = 0;
  for (let y = half; y < height - half; y++) {
    for (let x = half; x < width - half; x++) {
      let ma = 0;
      let mb = 0;
      let saa = 0;
      let sbb = 0;
      let sab = 0;
      for (let dy = -half; dy <= half; dy++) {
        for (let dx = -half; dx <= half; dx++) {
          const w = w1[dy + half]! * w1[dx + half]!;
          const va = a[(y + dy) * width + x + dx]!;
          const vb = b[(y + dy) * width + x + dx]!;
          ma += w * va;
          mb += w * vb;
          saa += w * va * va;
          sbb += w * vb * vb;
          sab += w * va * vb;
        }
      }
      const va = saa - ma * ma;
      const vb = sbb - mb * mb;
      const cov = sab - ma * mb;
      sum += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
      count++;
    }
  }
  return sum / count;
}
