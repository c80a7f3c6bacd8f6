import { useEffect, useState } from 'react';
import type { StudioClient } from '../../../../electron/api/client';
import type { ModelSummary } from '../../../../electron/api/contract';
import { ApiError } from '../../../../electron/api/errors';
import { float32Tensor, type Float32Tensor, type Uint8Tensor } from '../../../../electron/api/tensor';
import { ImageTile } from '../../components/ImageTile';
import { JobProgress } from '../../components/JobProgress';
import { downloadBytes } from '../../lib/download';
import { useAppStore } from '../../state/appStore';
import { nearestStored, previewIsFull, previewSlot, rawAt, useDiffuseStore, type Run } from '../../state/diffuseStore';
import { useResultsStore } from '../../state/inversionStore';
import { Message } from '../../components/Message';
import { EmptyState } from '../../components/EmptyState';
import { ExportScale, useExportScale } from '../../components/ExportScale';
import { useBoxSize } from '../../lib/useBoxSize';
import { ConditioningFields, conditioningDefaults } from './ConditioningFields';

type Images = Float32Tensor | Uint8Tensor;

/** One image of a [positions, batch, c, h, w] tensor, as its own [1, c, h, w] tensor. */
function frame(tensor: Images, position: number, sample: number): Images {
  const [, batch, ...rest] = tensor.shape as [number, number, ...number[]];
  const size = rest.reduce((a, b) => a * b, 1);
  const at = (position * batch + sample) * size;
  const data = tensor.data.slice(at, at + size);
  return data instanceof Float32Array ? float32Tensor([1, ...rest], data) : { dtype: 'uint8', shape: [1, ...rest], data };
}

/** The run's x_t and x̂₀ at one stored position at full resolution, [batch, c, h, w] each. */
interface Decoded {
  run: Run;
  position: number;
  xt: Float32Tensor;
  x0?: Float32Tensor;
}

/**
 * Once scrubbing rests on a position (150 ms), decodes its x_t and x̂₀ at full resolution in one call on one lane,
 * so the newest position wins; the cheap previews show meanwhile. Positions without raw values keep their previews.
 */
function useFullDecode(run: Run | undefined, position: number): Decoded | undefined {
  const client = useAppStore((s) => s.client);
  const [decoded, setDecoded] = useState<Decoded>();
  useEffect(() => {
    if (!client || !run) return;
    const xt = rawAt(run, position);
    if (previewIsFull(run) || !xt) return;
    const x0 = position > 0 ? rawAt(run, position, 'x0') : undefined;
    let current = true;
    const timer = setTimeout(() => {
      let x = xt;
      if (x0) {
        const both = new Float32Array(xt.data.length * 2);
        both.set(xt.data);
        both.set(x0.data, xt.data.length);
        x = float32Tensor([xt.shape[0]! * 2, ...xt.shape.slice(1)], both);
      }
      client.invoke('diffusion.decode', { model: run.args.model, x, lane: 'diffuse.decode' }).then(
        ({ images }) => {
          if (!current) return;
          const [n, ...rest] = images.shape as [number, ...number[]];
          const half = images.data.length / (x0 ? 2 : 1);
          setDecoded({
            run,
            position,
            xt: float32Tensor([x0 ? n / 2 : n, ...rest], images.data.slice(0, half)),
            x0: x0 ? float32Tensor([n / 2, ...rest], images.data.slice(half)) : undefined,
          });
        },
        (e: unknown) => {
          if (!(e instanceof ApiError && e.code === 'superseded')) console.warn('full decode failed', e);
        },
      );
    }, 150);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [client, run, position]);
  return decoded && decoded.run === run && decoded.position === position ? decoded : undefined;
}

function Field({ label, children, title }: { label: string; children: React.ReactNode; title?: string }) {
  return (
    <label className="flex items-center gap-2 text-sm" title={title}>
      <span className="text-muted">{label}</span>
      {children}
    </label>
  );
}

const input = 'w-20 rounded border border-line bg-panel-raised px-2 py-1';

/** The project's diffusion runs and branches: each can be sampled again (same seed, same images). */
function SavedRuns({ models }: { models: ModelSummary[] }) {
  const client = useAppStore((s) => s.client);
  const records = useResultsStore((s) => s.diffusion).filter((r) => models.some((m) => m.id === r.model));
  const busy = useDiffuseStore((s) => !!s.job);
  if (records.length === 0 || !client) return null;
  return (
    <section aria-label="Saved runs" className="flex flex-wrap items-center gap-2 text-sm">
      <span className="text-muted">In this project:</span>
      {records.map((r, i) => (
        <button key={`${r.label}-${i}`} type="button" disabled={busy} onClick={() => void useDiffuseStore.getState().replay(client, r)} className="rounded border border-line px-2 py-0.5 text-xs hover:bg-panel-raised disabled:opacity-40" title="Sample this run again">
          {models.find((m) => m.id === r.model)?.name ?? r.model} · {r.label}
        </button>
      ))}
    </section>
  );
}

export function ReversePanel({ models }: { models: ModelSummary[] }) {
  const client = useAppStore((s) => s.client);
  const { run, branches, settings, position, branchSeed, branchEta, job, error } = useDiffuseStore();
  const store = useDiffuseStore.getState();
  const model = settings.model && models.some((m) => m.id === settings.model) ? settings.model : models[0]!.id;
  const { sampler, steps, eta, seed, batch } = settings;
  // A class-conditional model: its classes, the first chosen until the user chooses (none included).
  const conditioning = models.find((m) => m.id === model)?.diffusion?.conditioning;
  const { label, guidance } = conditioningDefaults(conditioning, settings);
  const setPosition = (p: number) => store.set({ position: p });
  const [playing, setPlaying] = useState(false);
  const [fps, setFps] = useState(12);
  const [gifSample, setGifSample] = useState(0);
  const [exportError, setExportError] = useState<string>();
  // An export of a long run decodes its stored steps and writes them (128 frames of a 256 px model: seconds): said while it runs.
  const [exporting, setExporting] = useState<'GIF' | 'PNG'>();
  const { scaleFor, smooth } = useExportScale();
  const [grid, { width: gridWidth }] = useBoxSize<HTMLDivElement>();
  // Up to four samples a row, each an x_t and x̂₀ pair, sized to the row (cards: 16 px apart, 14 px of border, padding
  // and gap each, and 2 px to spare against rounding).
  const columns = Math.min(run?.args.batch ?? 1, 4);
  const tile = Math.max(56, Math.min(256, Math.floor((gridWidth - (columns - 1) * 16 - columns * 16) / (columns * 2))));
  // The run's last position (its final images); the scrubber moves over the positions whose previews were kept.
  const last = run ? run.timesteps.length : 0;
  const slot = run ? previewSlot(run, position) : 0;
  const decoded = useFullDecode(run, position);
  const branchAt = run ? nearestStored(run, position) : 0;

  useEffect(() => {
    if (!playing || !run) return;
    const timer = setInterval(() => {
      const next = (previewSlot(run, useDiffuseStore.getState().position) + 1) % run.previews.length;
      useDiffuseStore.getState().set({ position: run.previews[next]! });
    }, 1000 / fps);
    return () => clearInterval(timer);
  }, [playing, fps, run]);

  /** The stored raw values of sample `sample` at these positions, each snapped to the nearest stored one (deduplicated). */
  function storedCodes(run: Run, wanted: number[], sample: number): Float32Tensor {
    const positions = [...new Set(wanted.map((p) => nearestStored(run, p)))];
    const values = positions.map((p) => rawAt(run, p)!);
    const size = values[0]!.data.length / run.args.batch;
    const x = new Float32Array(positions.length * size);
    values.forEach((v, i) => x.set(v.data.subarray(sample * size, (sample + 1) * size), i * size));
    return float32Tensor([positions.length, ...values[0]!.shape.slice(1)], x);
  }

  /** x_t of sample `sample` at these positions from the previews kept on the page, where they are at full resolution. */
  function previewFrames(run: Run, wanted: number[], sample: number): Uint8Tensor {
    const tiles = [...new Set(wanted.map((p) => previewSlot(run, p)))].map((k) => frame(run.xt, k, sample).data);
    const data = new Uint8Array(tiles.length * tiles[0]!.length);
    tiles.forEach((t, i) => data.set(t, i * t.length));
    return { dtype: 'uint8', shape: [tiles.length, ...run.xt.shape.slice(2)], data };
  }

  /**
   * Full-resolution x_t of sample `sample` at these positions, as bytes, for exports: the previews where they are at
   * full resolution, else the positions' stored raw values decoded in one call (so a GIF of a long run has a frame per
   * stored step). Bytes, not floats: 128 frames at 256 px are 25 MB instead of 100.
   */
  async function exportFrames(run: Run, wanted: number[], sample: number): Promise<Uint8Tensor> {
    if (previewIsFull(run)) return previewFrames(run, wanted, sample);
    return (await client!.invoke('diffusion.preview', { model: run.args.model, x: storedCodes(run, wanted, sample) })).images;
  }

  /** One export of the run: said while it runs, its error shown, the buttons waiting until it ends. */
  async function exportRun(kind: 'GIF' | 'PNG', write: (client: StudioClient, run: Run) => Promise<void>) {
    if (!client || !run) return;
    setExporting(kind);
    setExportError(undefined);
    try {
      await write(client, run);
    } catch (e) {
      setExportError((e as Error).message);
    } finally {
      setExporting(undefined);
    }
  }

  const exportGif = () =>
    exportRun('GIF', async (client, run) => {
      const every = Array.from({ length: run.timesteps.length }, (_, i) => i + 1);
      const image = models.find((m) => m.id === run.args.model)?.image;
      if (!image) throw new Error(`the model of this run (${run.args.model}) is no longer in the library`);
      const timing = (count: number) => ({ scale: scaleFor([image.height, image.width]), frameMs: new Array(count).fill(1000 / fps) });
      let gif: Uint8Array;
      if (previewIsFull(run)) {
        const frames = previewFrames(run, every, gifSample);
        ({ gif } = await client.invoke('image.exportGif', { frames, ...timing(frames.shape[0]!) }));
      } else {
        // Decoded and written by the engine: the frames never come to the page (128 steps at 256 px: 25 MB each way).
        const x = storedCodes(run, every, gifSample);
        ({ gif } = await client.invoke('diffusion.exportGif', { model: run.args.model, x, ...timing(x.shape[0]!) }));
      }
      downloadBytes(gif, `diffusion-${run.args.model}-seed${run.args.seed}-sample${gifSample}.gif`, 'image/gif');
    });

  const exportGrid = () =>
    exportRun('PNG', async (client, run) => {
      const image = await exportFrames(run, Array.from({ length: 11 }, (_, i) => Math.round((i * last) / 10)), gifSample);
      const { png } = await client.invoke('image.exportPng', { image, scale: scaleFor(image.shape.slice(2)), smooth });
      downloadBytes(png, `diffusion-${run.args.model}-steps.png`, 'image/png');
    });

  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-4">
        <Field label="Model">
          <select value={model} onChange={(e) => store.chooseModel(e.target.value)} aria-label="Diffusion model" className="rounded border border-line bg-panel-raised px-2 py-1">
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Sampler">
          <select value={sampler} onChange={(e) => store.setSettings({ sampler: e.target.value as 'ddim' | 'ddpm' })} aria-label="Sampler" className="rounded border border-line bg-panel-raised px-2 py-1">
            <option value="ddim">DDIM</option>
            <option value="ddpm">DDPM (ancestral)</option>
          </select>
        </Field>
        <Field label="Steps" title="1 to 1000">
          <input type="number" min={1} max={1000} value={steps} onChange={(e) => store.setSettings({ steps: Math.min(1000, Math.max(1, Number(e.target.value) || 50)) })} aria-label="Steps" className={input} />
        </Field>
        {sampler === 'ddim' && (
          <Field label="η" title="0 is deterministic; 1 has DDPM's variance">
            <input type="number" min={0} max={1} step={0.1} value={eta} onChange={(e) => store.setSettings({ eta: Math.min(1, Math.max(0, Number(e.target.value) || 0)) })} aria-label="Eta" className={input} />
          </Field>
        )}
        <Field label="Seed">
          <input type="number" min={0} value={seed} onChange={(e) => store.setSettings({ seed: Math.max(0, Math.floor(Number(e.target.value) || 0)) })} aria-label="Seed" className={input} />
        </Field>
        <Field label="Batch" title="1 to 16 samples">
          <input type="number" min={1} max={16} value={batch} onChange={(e) => store.setSettings({ batch: Math.min(16, Math.max(1, Number(e.target.value) || 1)) })} aria-label="Batch" className={input} />
        </Field>
        {conditioning && <ConditioningFields conditioning={conditioning} label={label} guidance={guidance} onChange={(next) => store.setSettings(next)} />}
        <button
          type="button"
          onClick={() => {
            if (!client) return;
            store.setSettings({ label: label ?? null, guidance });
            void store.generate(client, model, conditioning?.labels);
          }}
          disabled={!!job || !client}
          className="rounded bg-accent px-3 py-1 text-sm font-medium text-canvas disabled:opacity-40"
          title="Sample from pure noise"
        >
          Generate
        </button>
      </div>
      {job && (
        <div className="flex items-center gap-4">
          <JobProgress label="Denoising" done={job.step} total={job.total} unit="steps" onCancel={job.stop} />
          {job.preview && <ImageTile data={job.preview.data} shape={job.preview.shape} size={Math.max(56, Math.min(128, job.preview.shape[3]! * 2))} label="current x_t" />}
        </div>
      )}
      <Message text={error ?? exportError} className="text-sm" />
      <SavedRuns models={models} />
      {!run && !job && (
        <div className="pt-8">
          <EmptyState title="Sample from noise, step by step">
            Generate starts from pure noise and denoises it over the steps chosen above. Every step keeps x_t and the model's prediction of the clean image x̂₀, so you can play the run back, scrub to any step and branch from it with another seed.
          </EmptyState>
        </div>
      )}
      {run && (
        <section aria-label="Playback" className="flex flex-col gap-3">
          <div className="flex flex-wrap items-center gap-3">
            <button type="button" onClick={() => setPlaying(!playing)} className="rounded border border-line px-3 py-1 text-sm hover:bg-panel-raised" title="Play or pause">
              {playing ? 'Pause' : 'Play'}
            </button>
            <input type="range" min={0} max={run.previews.length - 1} value={slot} onChange={(e) => setPosition(run.previews[Number(e.target.value)]!)} aria-label="Step" className="w-96" title="Scrub through the steps (arrow keys nudge)" />
            <span className="text-sm tabular-nums" data-testid="position">
              step {position} / {last}
            </span>
            <span className="text-xs text-muted" data-testid="noise-level">
              {position < run.timesteps.length ? `next t = ${run.timesteps[position]}, ` : ''}noise level √(1−ᾱ) = {run.noiseLevels[position]!.toFixed(3)}
            </span>
            <Field label="Speed">
              <input type="range" min={1} max={30} value={fps} onChange={(e) => setFps(Number(e.target.value))} aria-label="Playback speed" />
              <span className="text-xs tabular-nums">{fps} fps</span>
            </Field>
          </div>
          <div ref={grid} className="flex flex-wrap gap-4" data-testid="samples-grid">
            {Array.from({ length: run.args.batch }, (_, s) => {
              // Full resolution where it is known (the decoded position, the final step), else the cheap preview.
              const final = position === last ? frame({ ...run.final, shape: [1, ...run.final.shape] }, 0, s) : undefined;
              const xt = decoded ? frame({ ...decoded.xt, shape: [1, ...decoded.xt.shape] }, 0, s) : (final ?? frame(run.xt, slot, s));
              // Where the run ends noise-free, its last x̂₀ is the final image itself, so it needs no decode either.
              const x0 =
                slot === 0
                  ? undefined
                  : decoded?.x0
                    ? frame({ ...decoded.x0, shape: [1, ...decoded.x0.shape] }, 0, s)
                    : final && run.noiseLevels[position] === 0
                      ? final
                      : frame(run.x0, slot - 1, s);
              return (
                <div key={s} className="flex gap-1 rounded border border-line p-1">
                  <ImageTile data={xt.data} shape={xt.shape} size={tile} label={`x_t #${s + 1}`} />
                  {x0 && <ImageTile data={x0.data} shape={x0.shape} size={tile} label="predicted x₀" />}
                </div>
              );
            })}
          </div>
          {/* The run stays up when another model is chosen, so it names the model that made it. */}
          <p className="text-xs text-muted" data-testid="run-summary">
            {models.find((m) => m.id === run.args.model)?.name ?? run.args.model}: {run.timesteps.length} steps at batch {run.args.batch} in {(run.ms / 1000).toFixed(2)} s
            {run.previewKind === 'linear' && (
              <span data-testid="preview-note" title="Decoding every step through the VAE would cost this run more than its budget, so steps are kept as a linear map of the latent's channels to colour">
                {' '}
                · steps show as {run.xt.shape.slice(3).join('×')} previews of the latent while you scrub;{' '}
                {run.stored.length > run.timesteps.length
                  ? `the step you stop on is decoded at ${run.final.shape.slice(2).join('×')}`
                  : `the ${run.stored.length} steps whose values are kept (see Branch) are decoded at ${run.final.shape.slice(2).join('×')} when you stop on one`}
              </span>
            )}
            {run.args.model !== model && <span className="text-ink"> · made with another model than the one chosen above: Generate to sample this one</span>}
          </p>
          <div className="flex flex-wrap items-center gap-3 text-sm">
            <span className="text-muted" data-testid="branch-at">
              Branch at step {branchAt}
              {branchAt !== position ? ` (the nearest stored step to ${position})` : ''}:
            </span>
            <Field label="seed">
              <input type="number" min={0} value={branchSeed} onChange={(e) => store.set({ branchSeed: Math.max(0, Math.floor(Number(e.target.value) || 0)) })} aria-label="Branch seed" className={input} />
            </Field>
            <Field label="η">
              <input type="number" min={0} max={1} step={0.1} value={branchEta} onChange={(e) => store.set({ branchEta: Math.min(1, Math.max(0, Number(e.target.value) || 0)) })} aria-label="Branch eta" className={input} />
            </Field>
            <button type="button" onClick={() => client && void store.branch(client)} disabled={!!job || branchAt >= run.timesteps.length} className="rounded border border-line px-3 py-1 hover:bg-panel-raised disabled:opacity-40" title="Continue from this step with another seed or η (DDIM)">
              Branch from here
            </button>
          </div>
          {branches.length > 0 && (
            <div className="flex flex-col gap-2" data-testid="branches">
              {[{ label: 'original', run }, ...branches].map((b) => (
                <div key={b.label} className="flex items-center gap-2">
                  <span className="w-56 text-xs text-muted">{b.label}</span>
                  {Array.from({ length: b.run.args.batch }, (_, s) => {
                    return <ImageTile key={s} data={b.run.final.data} shape={b.run.final.shape} index={s} zoom={2} label={`final #${s + 1}`} />;
                  })}
                </div>
              ))}
            </div>
          )}
          <div className="flex flex-wrap items-center gap-3 text-sm">
            <Field label="Sample">
              <select value={gifSample} onChange={(e) => setGifSample(Number(e.target.value))} aria-label="Sample to export" className="rounded border border-line bg-panel-raised px-2 py-1">
                {Array.from({ length: run.args.batch }, (_, s) => (
                  <option key={s} value={s}>
                    #{s + 1}
                  </option>
                ))}
              </select>
            </Field>
            <ExportScale size={run.final.shape.slice(2)} />
            <button type="button" onClick={() => void exportGif()} disabled={!!exporting} className="rounded border border-line px-3 py-1 hover:bg-panel-raised disabled:opacity-40" title="One frame per stored step">
              Export GIF
            </button>
            <button type="button" onClick={() => void exportGrid()} disabled={!!exporting} className="rounded border border-line px-3 py-1 hover:bg-panel-raised disabled:opacity-40" title="Eleven evenly spaced steps as one PNG strip">
              Export steps PNG
            </button>
            {exporting && (
              <span role="status" className="text-muted" data-testid="exporting">
                Writing the {exporting}…
              </span>
            )}
          </div>
        </section>
      )}
    </div>
  );
}
