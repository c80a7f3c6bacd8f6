import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiError } from '../../../../electron/api/errors';
import type { ModelSummary } from '../../../../electron/api/contract';
import type { Uint8Tensor } from '../../../../electron/api/tensor';
import { ImageTile } from '../../components/ImageTile';
import { useAppStore } from '../../state/appStore';
import { Message } from '../../components/Message';
import { useViewState } from '../../state/viewState';
import { useBoxSize } from '../../lib/useBoxSize';
import { useByValue } from '../../lib/useByValue';
import { withRun } from '../../lib/images';
import { pictureWork } from '../../lib/pictureWork';

const GRID = 16;
/** The sample grid's images at most this many pixels a side. */
const GRID_MAX_SIDE = 128;

/**
 * A grid as far as it has come: tiles before `done` are of `seed` and `psi`; those from `done` to `shown` are the previous
 * grid's, kept (dimmed) until the new ones replace them.
 */
interface Samples {
  images: Uint8Tensor;
  done: number;
  shown: number;
  ms: number;
  seed: number;
  psi: number;
}

/**
 * Decodes 16 codes drawn from the prior; a click draws a new seed. A large model's tiles show as each run brings them.
 * Leaving the view stops the decoding (it would take the runtime from the view the person went to), keeping the tiles
 * that came, and coming back decodes only the rest.
 */
export function SampleGrid({ model }: { model: ModelSummary }) {
  const client = useAppStore((s) => s.client);
  // Kept per model across view switches, so a grid is decoded once, not on every visit.
  const [seed, setSeed] = useViewState(`models.samples.${model.id}.seed`, 1);
  const [samples, setSamples] = useViewState<Samples | undefined>(`models.samples.${model.id}`, undefined);
  // Truncation ψ for a StyleGAN-style model: 1 is the generator itself, lower pulls towards the average style.
  const [psi, setPsi] = useViewState(`models.samples.${model.id}.psi`, 1);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // A large model's 16 samples take many runs (a 1024 px VAE: one image a run, 23 s on a CPU): how far along they are.
  const [progress, setProgress] = useState<{ done: number; total: number }>();
  const running = useRef<AbortController | undefined>(undefined);
  useEffect(
    () => () => {
      running.current?.abort();
      running.current = undefined;
    },
    [],
  );

  // What the grid depends on, by value: a library update (a model loading) replaces the summary object, and must
  // not send the request again while the first is still on its way.
  const { id, latent, style } = useByValue({ id: model.id, latent: model.latent, style: model.style });
  const sample = useCallback(
    /** Decodes the grid of `nextSeed` and `nextPsi` from tile `from` on (earlier tiles are in `kept`). */
    async (nextSeed: number, nextPsi: number, from = 0, kept?: Samples) => {
      if (!client || !latent) return;
      running.current?.abort();
      const controller = new AbortController();
      running.current = controller;
      setBusy(true);
      setProgress(from > 0 ? { done: from, total: GRID } : undefined);
      setError(undefined);
      const started = performance.now();
      const msBefore = kept?.ms ?? 0;
      // Each run's tiles go into a copy of the grid on screen (of this seed when resuming, else the previous one's).
      let grid = kept;
      const place = (run: Uint8Tensor, at: number) =>
        setSamples((old) => {
          const base = grid ?? old;
          const { images, kept } = withRun(base?.images, run, at, GRID);
          const done = at + run.shape[0]!;
          grid = { images, done, shown: Math.max(done, kept ? base!.shown : 0), ms: msBefore + performance.now() - started, seed: nextSeed, psi: nextPsi };
          return grid;
        });
      try {
        // Only shown, small, and kept per model for the session: 8-bit planes averaged down to at most 128 px (16 samples
        // of a 512 px model: 0.8 MB to send and convert, not 12.6 MB; tiles are about 60 px wide, twice that on a HiDPI screen).
        // The engine keeps them too (reuse), so another window or a reload gets the same grid without decoding it again.
        const result = await pictureWork.track(client.invoke(
          'model.preview',
          // The engine draws the codes from the seed: a 1024 px model's 16 codes took a page 180 ms to draw, 4 MB to send.
          { model: id, prior: { seed: nextSeed, count: GRID, from }, maxSide: GRID_MAX_SIDE, progressive: true, reuse: true, ...(style ? { truncation: nextPsi } : {}) },
          {
            signal: controller.signal,
            onProgress: (p) => {
              setProgress({ done: from + p.done, total: GRID });
              if (p.images) place(p.images, from + p.done - p.images.shape[0]!);
            },
          },
        ));
        // A single run reports nothing: its images are the result.
        if (!grid || grid.done < GRID) place(result.images, from);
        setSamples((old) => old && { ...old, ms: msBefore + result.ms });
      } catch (e) {
        if ((e as ApiError).code !== 'cancelled') setError((e as Error).message);
      } finally {
        if (running.current === controller) {
          running.current = undefined;
          setBusy(false);
        }
      }
    },
    [client, id, latent, style, setSamples],
  );

  const hasSamples = !!samples;
  // Eight tiles a row share the card's width (4 px gaps), at most 2× a small model's pixels: a 256 px model never spills out.
  const [grid, { width }] = useBoxSize<HTMLDivElement>();
  const imageSide = Math.max(model.image.height, model.image.width);
  const tile = Math.max(16, Math.min(imageSide * 2, Math.floor((width - 7 * 4) / 8)));
  // A grid left unfinished (the view was left) goes on from where it stopped.
  const resumeFrom = samples && samples.done < GRID ? samples.done : undefined;
  useEffect(() => {
    if (running.current) return;
    if (!hasSamples) void sample(seed, psi);
    else if (resumeFrom !== undefined) void sample(samples!.seed, samples!.psi, resumeFrom, samples);
    // Only when the grid is first shown or its model changes: a grid that failed part way is not retried in a loop.
  }, [sample, hasSamples]);

  // A large model's first tiles wait for it to load and warm up (a 1024 px VAE: about 12 s on a CPU): say which wait it is.
  const status = () => {
    if (busy && progress) return `Decoding ${progress.done} of ${progress.total}…`;
    if (busy) return model.provider ? 'Decoding…' : 'Loading the model…';
    if (!samples) return '';
    if (samples.done < GRID) return `${samples.done} of ${GRID} decoded`;
    return `seed ${samples.seed}${model.style ? ` · ψ ${samples.psi.toFixed(2)}` : ''} · ${GRID} decoded in ${samples.ms.toFixed(1)} ms`;
  };

  return (
    <div>
      <div ref={grid} className="grid w-full grid-cols-8 gap-1" data-testid="samples" aria-busy={busy}>
        {samples &&
          width > 0 &&
          Array.from({ length: GRID }, (_, i) =>
            i < samples.shown ? (
              // Tiles past `done` are the previous grid's, dimmed until this one's decode reaches them.
              <div key={i} className={i < samples.done ? undefined : 'opacity-40'}>
                <ImageTile data={samples.images.data} shape={samples.images.shape} index={i} size={tile} />
              </div>
            ) : (
              <div key={i} className="rounded-sm bg-white/5" style={{ width: tile, height: tile }} data-testid="sample-pending" />
            ),
          )}
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
          {status()}
        </span>
      </div>
      <Message text={error} className="mt-2 text-sm" />
    </div>
  );
}
