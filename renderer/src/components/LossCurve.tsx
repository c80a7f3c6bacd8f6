/** A loss curve on a log scale, drawn as it grows. */
export function LossCurve({ values, width = 320, height = 120 }: { values: number[]; width?: number; height?: number }) {
  if (values.length < 2) return <svg width={width} height={height} className="rounded bg-panel-raised" aria-label="Loss curve" />;
  const logs = values.map((v) => Math.log10(Math.max(v, 1e-12)));
  const [lo, hi] = [Math.min(...logs), Math.max(...logs)];
  const span = hi - lo || 1;
  const d = logs.map((l, i) => `${i === 0 ? 'M' : 'L'}${((i / (logs.length - 1)) * width).toFixed(1)},${(4 + (1 - (l - lo) / span) * (height - 8)).toFixed(1)}`).join('');
  return (
    <figure className="m-0">
      <svg width={width} height={height} className="rounded bg-panel-raised" aria-label="Loss curve" data-points={values.length} data-first={values[0]} data-last={values.at(-1)}>
        <path d={d} fill="none" stroke="#7c9cff" strokeWidth={1.5} />
      </svg>
      <figcaption className="text-xs text-muted">
        loss {values[0]!.toFixed(2)} → {values.at(-1)!.toFixed(2)} (log scale, {values.length} steps)
      </figcaption>
    </figure>
  );
}
