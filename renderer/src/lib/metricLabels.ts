import { formatCount } from './formatCount';

/**
 * A manifest's metrics as a person reads them: `priorSamplesConfidentShare: 0.036` as "Prior samples confidently
 * classified 3.6%". Keys are camelCase names a training script chose (the bundled ones and users' alike), so the
 * label is built from the key's words and the unit from how the key ends; an unknown key still reads as words.
 */

/** Words written in capitals or otherwise than their lower-case form. */
const WORDS: Record<string, string> = {
  psnr: 'PSNR',
  ssim: 'SSIM',
  fd: 'FD',
  fid: 'FID',
  onnx: 'ONNX',
  ddim: 'DDIM',
  ddpm: 'DDPM',
  x0: 'x₀',
  rel: 'relative',
  max: 'largest',
  grad: 'gradient',
  confident: 'confidently classified',
};

export interface MetricLine {
  label: string;
  value: string;
}

/** camelCase and digits to words: `train1000Fd` → train, 1000, fd; `ddim50ClipX0Fd` → ddim, 50, clip, x0, fd. */
function words(key: string): string[] {
  return (key.match(/[xX]0|[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+[a-z]*/g) ?? [key]).map((w) => w.toLowerCase());
}

const sentence = (parts: string[]) => {
  const text = parts
    .map((w, i) => {
      // A sampler and its step count read as one name: DDIM-50.
      if (/^\d+$/.test(w) && /^(ddim|ddpm)$/.test(parts[i - 1] ?? '')) return `-${w}`;
      return ` ${WORDS[w] ?? w}`;
    })
    .join('')
    .trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
};

const plain = (value: number) => (Number.isInteger(value) ? formatCount(value) : Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(3));

export function metricLine(key: string, value: number): MetricLine {
  const parts = words(key);
  const last = parts[parts.length - 1];
  if (key === 'onnxBytes') return { label: 'ONNX files', value: `${(value / 1e6).toFixed(2)} MB` };
  if (last === 'db') return { label: sentence(parts.slice(0, -1)), value: `${value.toFixed(2)} dB` };
  if (last === 'share' || last === 'accuracy' || last === 'agreement')
    return { label: sentence(last === 'share' ? parts.slice(0, -1) : parts), value: `${(value * 100).toFixed(1)}%` };
  if (last === 'error') return { label: sentence(parts), value: value === 0 ? '0' : value.toExponential(1) };
  if (last === 'bytes') return { label: sentence(parts.slice(0, -1)), value: `${(value / 1e6).toFixed(2)} MB` };
  if (last === 'fd' || last === 'fid') return { label: sentence(parts), value: value.toFixed(2) };
  return { label: sentence(parts), value: plain(value) };
}

/** The lines of a model's card: number-valued metrics, without the parameter count the card already shows. */
export function metricLines(metrics: Record<string, unknown>, paramsShown: boolean): (MetricLine & { key: string })[] {
  return Object.entries(metrics)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isFinite(entry[1]))
    .filter(([key]) => !(paramsShown && key === 'params'))
    .map(([key, value]) => ({ key, ...metricLine(key, value) }));
}
