import { useCallback, useEffect, useState } from 'react';
import type { ModelSummary } from '../../../../electron/api/contract';
import type { Uint8Tensor } from '../../../../electron/api/tensor';
import { randomNormal } from '../../../../electron/common/random';
import { ImageTile } from '../../components/ImageTile';
import { useAppStore } from '../../state/appStore';
import { Message } from '../../components/Message';
import { useViewState } from '../../state/viewState';
import { useBoxSize } from '../../lib/useBoxSize';
import { useByValue } from '../../lib/useByValue';

const GRID = 16;
/** The sample grid's images at most this many pixels a side. */
const GRID_MAX_SIDE = 128;

/** Decodes 16 codes drawn from the prior; a click draws a new seed. The old grid stays until the new one is ready. */
export function SampleGrid({ model }: { model: ModelSummary }) {
  const client = useAppStore((s) => s.client);
  // Kept per model across view switches, so a grid is decoded once, not on every visit.
  const [seed, setSeed] = useViewState(`models.samples.${model.id}.seed`, 1);
  const [samples, setSamples] = useViewState<{ images: Uint8Tensor; ms: number; seed: number; psi: number } | undefined>(`models.samples.${model.id}`, undefined);
  // Truncation ψ for a StyleGAN-style model: 1 is the generator itself, lower pulls towards the average style.
  const [psi, setPsi] = useViewState(`models.samples.${model.id}.psi`, 1);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // A large model's 16 samples take many runs (a 1024 px VAE: one image a run, 23 s on a CPU): how far along they are.
  const [progress, setProgress] = useState<{ done: number; total: number }>();

  // What the grid depends on, by value: a library update (a model loading) replaces the summary object, and must
  // not send the request again while the first is still on its way.
  const { id, latent, style } = useByValue({ id: model.id, latent: model.latent, style: model.style });
  const sample = useCallback(
    async (nextSeed: number, nextPsi: number) => {
      if (!client || !latent) return;
      setBusy(true);
      setProgress(undefined);
      setError(undefined);
      try {
        const size = latent.shape.reduce((a, b) => a * b, 1);
        const z = { dtype: 'float32' as const, shape: [GRID, ...latent.shape], data: randomNormal(GRID * size, nextSeed) };
        // Only shown, small, and kept per model for the session: 8-bit planes averaged down to at most 128 px (16 samples
        // of a 512 px model: 0.8 MB to send and convert, not 12.6 MB; tiles are about 60 px wide, twice that on a HiDPI screen).
        const result = await client.invoke('model.preview', { model: id, z, maxSide: GRID_MAX_SIDE, ...(style ? { truncation: nextPsi } : {}) }, { onProgress: setProgress });
        setSamples({ ...result, seed: nextSeed, psi: nextPsi });
      } catch (e) {
        setError((e as Error).message);
      } finally {
        setBusy(false);
      }
    },
    [client, id, latent, style],
  );

  const hasSamples = !!samples;
  // Eight tiles a row share the card's width (4 px gaps), at most 2× a small model's pixels: a 256 px model never spills out.
  const [grid, { width }] = useBoxSize<HTMLDivElement>();
  const imageSide = Math.max(model.image.height, model.image.width);
  const tile = Math.max(16, Math.min(imageSide * 2, Math.floor((width - 7 * 4) / 8)));
  useEffect(() => {
    if (!hasSamples) void sample(seed, psi);
  }, [sample, hasSamples, seed, psi]);

  return (
    <div>
      <div ref={grid} className="grid w-full grid-cols-8 gap-1" data-testid="samples" aria-busy={busy}>
        {samples &&
          width > 0 &&
          Array.from({ length: samples.images.shape[0]! }, (_, i) => (
            <ImageTile key={i} data={samples.images.data} shape={samples.images.shape} index={i} size={tile} />
          ))}
      </div>
      <div className="mt-2 flex items-center gap-3">
        <button
          type="button"
          onClick={() => {
            setSeed(seed + 1);
            void sample(seed + 1, psi);
          }}
          disabled={busy}
          title="Decode 16 new codes drawn from N(0, I)"
          className="rounded bg-accent px-3 py-1 text-sm font-medium text-canvas hover:brightness-110 disabled:opacity-50"
        >
          New samples
        </button>
        {model.style && (
          <label className="flex items-center gap-2 text-xs text-muted" title="Truncation: 1 is the generator itself; lower pulls every sample towards the average style (less variety, fewer artifacts)">
            ψ
            <input type="range" min={0} max={1} step={0.05} value={psi} onChange={(e) => setPsi(Number(e.target.value))} onPointerUp={() => void sample(seed, psi)} onKeyUp={() => void sample(seed, psi)} aria-label="Truncation" className="w-28" />
            <span className="w-8 tabular-nums">{psi.toFixed(2)}</span>
          </label>
        )}
        <span className="text-xs text-muted" data-testid="samples-status">
          {busy && progress ? `Decoding ${progress.done} of ${progress.total}…` : samples ? `seed ${samples.seed}${model.style ? ` · ψ ${samples.psi.toFixed(2)}` : ''} · ${samples.images.shape[0]} decoded in ${samples.ms.toFixed(1)} ms` : busy ? 'Decoding…' : ''}
        </span>
      </div>
      <Message text={error} className="mt-2 text-sm" />
    </div>
  );
}
