import { useMemo } from 'react';

interface ScheduleChartProps {
  betas: Float32Array;
  alphasCumprod: Float32Array;
  t: number;
}

const W = 360;
const H = 150;

/** β_t (scaled to its maximum), ᾱ_t and log₁₀ SNR over t, with the current t marked. */
export function ScheduleChart({ betas, alphasCumprod, t }: ScheduleChartProps) {
  const T = betas.length;
  const paths = useMemo(() => {
    const betaMax = Math.max(...betas);
    const snr = Array.from(alphasCumprod, (a) => Math.log10(a / (1 - a)));
    const [lo, hi] = [Math.min(...snr), Math.max(...snr)];
    const line = (value: (i: number) => number) =>
      Array.from({ length: T }, (_, i) => `${i === 0 ? 'M' : 'L'}${((i / (T - 1)) * W).toFixed(1)},${(H - value(i) * H).toFixed(1)}`).join('');
    return {
      beta: line((i) => betas[i]! / betaMax),
      abar: line((i) => alphasCumprod[i]!),
      snr: line((i) => (snr[i]! - lo) / (hi - lo)),
      snrRange: [lo, hi],
    };
  }, [betas, alphasCumprod, T]);
  const x = (t / (T - 1)) * W;
  const snrNow = alphasCumprod[t]! / (1 - alphasCumprod[t]!);
  return (
    <figure className="m-0" aria-label="Noise schedule">
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} className="rounded bg-panel-raised">
        <path d={paths.beta} fill="none" stroke="#f28e2b" strokeWidth={1.5} />
        <path d={paths.abar} fill="none" stroke="#7c9cff" strokeWidth={1.5} />
        <path d={paths.snr} fill="none" stroke="#59a14f" strokeWidth={1.5} />
        <line x1={x} x2={x} y1={0} y2={H} stroke="#ffffff" strokeDasharray="3 3" />
      </svg>
      <figcaption className="mt-1 flex flex-wrap gap-3 text-xs">
        <span style={{ color: '#f28e2b' }}>β_t = {betas[t]!.toExponential(2)}</span>
        <span style={{ color: '#7c9cff' }}>ᾱ_t = {alphasCumprod[t]!.toFixed(4)}</span>
        <span style={{ color: '#59a14f' }}>SNR = {snrNow < 0.01 ? snrNow.toExponential(1) : snrNow.toFixed(2)} (log scale)</span>
        <span className="text-muted">t = {t}</span>
      </figcaption>
    </figure>
  );
}
