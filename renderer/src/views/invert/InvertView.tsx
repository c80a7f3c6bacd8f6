import { useState } from 'react';
import type { CallResult } from '../../../../electron/api/contract';
import { ApiError } from '../../../../electron/api/errors';
import type { Float32Tensor } from '../../../../electron/api/tensor';
import { EmptyState } from '../../components/EmptyState';
import { ImageSource } from '../../components/ImageSource';
import { ImageTile } from '../../components/ImageTile';
import { JobProgress } from '../../components/JobProgress';
import { LossCurve } from '../../components/LossCurve';
import { useAppStore } from '../../state/appStore';
import { useEditStore } from '../../state/editStore';
import { useResultsStore } from '../../state/inversionStore';
import { Message } from '../../components/Message';
import { fitZoom } from '../../lib/images';
import { decodesCodes } from '../../lib/modelKinds';

type Result = CallResult<'gan.invert'>;
interface Settings {
  steps: number;
  restarts: number;
  lr: number;
  prior: number;
  noise: number;
  warmStart: boolean;
}

function NumberField({ label, value, onChange, min, max, step, title }: { label: string; value: number; onChange(v: number): void; min: number; max: number; step?: number; title: string }) {
  return (
    <label className="flex items-center justify-between gap-2 text-sm" title={title}>
      <span className="text-muted">{label}</span>
      <input type="number" value={value} min={min} max={max} step={step} aria-label={label} onChange={(e) => onChange(Math.min(max, Math.max(min, Number(e.target.value) || 0)))} className="w-24 rounded border border-line bg-panel-raised px-2 py-1" />
    </label>
  );
}

export function InvertView() {
  const client = useAppStore((s) => s.client);
  const gans = useAppStore((s) => s.models).filter(decodesCodes).filter((m) => m.kind === 'gan');
  const setView = useAppStore((s) => s.setView);
  const setBase = useEditStore((s) => s.setBase);
  const addInversion = useResultsStore((s) => s.addInversion);
  const [saved, setSaved] = useState(false);
  const [model, setModel] = useState<string>();
  const modelId = model ?? gans[0]?.id;
  const summary = gans.find((m) => m.id === modelId);
  const hasEncoder = !!summary && 'encoder' in summary.graphs;
  const [target, setTarget] = useState<{ tensor: Float32Tensor; label: string }>();
  const [settings, setSettings] = useState<Settings>({ steps: 300, restarts: 3, lr: 0.05, prior: 0, noise: 0.05, warmStart: true });
  const [job, setJob] = useState<{ step: number; total: number; cancel(): void }>();
  const [curve, setCurve] = useState<number[]>([]);
  const [live, setLive] = useState<Float32Tensor>();
  const [result, setResult] = useState<Result>();
  const [comparison, setComparison] = useState<{ label: string; psnr: number; ssim: number; image: Float32Tensor }[]>();
  const [error, setError] = useState<string>();

  async function invert(overrides: Partial<Settings> = {}): Promise<Result | undefined> {
    if (!client || !modelId || !target) return;
    const controller = new AbortController();
    setError(undefined);
    setCurve([]);
    const run = { ...settings, warmStart: settings.warmStart && hasEncoder, ...overrides };
    setJob({ step: 0, total: run.steps, cancel: () => controller.abort() });
    try {
      return await client.invoke(
        'gan.invert',
        { model: modelId, image: target.tensor, settings: run },
        {
          signal: controller.signal,
          onProgress: (p) => {
            setJob({ step: p.step, total: p.total, cancel: () => controller.abort() });
            setCurve((c) => [...c, p.bestLoss]);
            if (p.best) setLive(p.best);
          },
        },
      );
    } catch (e) {
      setError(e instanceof ApiError && e.code === 'cancelled' ? 'Cancelled.' : (e as Error).message);
    } finally {
      setJob(undefined);
    }
  }

  async function run() {
    setComparison(undefined);
    setSaved(false);
    const r = await invert();
    if (r) {
      setResult(r);
      setCurve(r.curve);
    }
  }

  async function compare() {
    const warm = await invert({ warmStart: true });
    const cold = warm && (await invert({ warmStart: false }));
    if (!warm || !cold) return;
    setResult(warm);
    setCurve(warm.curve);
    setComparison([
      ...(warm.encoderOnly ? [{ label: 'Encoder only', ...warm.encoderOnly }] : []),
      { label: 'Optimization only', psnr: cold.psnr, ssim: cold.ssim, image: cold.image },
      { label: 'Encoder + optimization', psnr: warm.psnr, ssim: warm.ssim, image: warm.image },
    ]);
  }

  function edit() {
    if (!result || !modelId || !target) return;
    setBase({ model: modelId, code: result.z.data, label: `inverted ${target.label} · ${result.psnr.toFixed(1)} dB`, image: target.tensor });
    setView('edit');
  }

  const shown = job ? live : (result?.image ?? live);
  if (!modelId) return <EmptyState title="No GAN in the library">Inversion needs a GAN generator. Add a model folder in Models; its generator is differentiated when it has no inversion graph of its own.</EmptyState>;
  return (
    <div className="grid h-full grid-cols-[20rem_1fr]">
      <aside className="flex min-h-0 flex-col gap-4 overflow-auto border-r border-line bg-panel p-4">
        <h2 className="text-lg font-medium">Invert</h2>
        {gans.length > 1 && (
          <select value={modelId} onChange={(e) => setModel(e.target.value)} aria-label="Model" className="rounded border border-line bg-panel-raised px-2 py-1 text-sm">
            {gans.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        )}
        <ImageSource model={modelId} onImage={(tensor, label) => { setTarget({ tensor, label }); setResult(undefined); setLive(undefined); setComparison(undefined); setCurve([]); }} />
        <section aria-label="Settings" className="flex flex-col gap-2">
          <NumberField label="Steps" value={settings.steps} min={1} max={5000} onChange={(steps) => setSettings({ ...settings, steps })} title="Adam steps" />
          <NumberField label="Random restarts" value={settings.restarts} min={0} max={32} onChange={(restarts) => setSettings({ ...settings, restarts })} title="Random starting codes optimised together; the best wins" />
          <NumberField label="Learning rate" value={settings.lr} min={0.001} max={1} step={0.01} onChange={(lr) => setSettings({ ...settings, lr })} title="Peak rate: short warm-up, cosine ramp-down" />
          <NumberField label="Prior λ" value={settings.prior} min={0} max={1} step={0.001} onChange={(prior) => setSettings({ ...settings, prior })} title="Adds λ‖z‖² to keep z plausible" />
          <NumberField label="Early noise" value={settings.noise} min={0} max={1} step={0.01} onChange={(noise) => setSettings({ ...settings, noise })} title="Latent noise early on, decaying to 0" />
          <label className="flex items-center gap-2 text-sm" title={hasEncoder ? "Start one run from the encoder's guess" : 'This model has no encoder: every run starts from a random code'}>
            <input type="checkbox" checked={settings.warmStart && hasEncoder} disabled={!hasEncoder} onChange={(e) => setSettings({ ...settings, warmStart: e.target.checked })} /> Encoder warm start
          </label>
        </section>
        <div className="flex flex-wrap gap-2">
          <button type="button" onClick={() => void run()} disabled={!target || !!job} className="rounded bg-accent px-3 py-1 text-sm font-medium text-canvas disabled:opacity-40">
            Invert
          </button>
          <button
            type="button"
            onClick={() => void compare()}
            disabled={!target || !!job || !hasEncoder}
            className="rounded border border-line px-3 py-1 text-sm hover:bg-panel-raised disabled:opacity-40"
            title={hasEncoder ? 'Encoder only, optimization only, and both' : 'Needs an encoder to compare starts'}
          >
            Compare starts
          </button>
        </div>
      </aside>
      <main className="min-h-0 overflow-auto p-6">
        {!target ? (
          <EmptyState title="Pick an image to invert">Choose a dataset image or drop your own on the left; the GAN's code for it is found by optimization.</EmptyState>
        ) : (
          <div className="flex flex-col gap-4">
            {job && <JobProgress label="Inverting" done={job.step} total={job.total} onCancel={job.cancel} />}
            <Message text={error} className="text-sm" />
            <div className="flex flex-wrap items-end gap-6">
              <ImageTile data={target.tensor.data} shape={target.tensor.shape} zoom={fitZoom(target.tensor.shape)} label={`Target · ${target.label}`} />
              {shown && <ImageTile data={shown.data} shape={shown.shape} zoom={fitZoom(shown.shape)} label={job ? 'Best so far' : 'G(z*)'} />}
              <LossCurve values={curve} />
            </div>
            {result && !job && (
              <div className="flex flex-wrap items-center gap-4 text-sm" data-testid="inversion-result">
                <span data-testid="psnr">PSNR {result.psnr.toFixed(2)} dB</span>
                <span>SSIM {result.ssim.toFixed(3)}</span>
                {result.encoderOnly && <span className="text-muted" data-testid="encoder-psnr">encoder alone: {result.encoderOnly.psnr.toFixed(2)} dB</span>}
                <span className="text-muted">
                  {result.steps} steps{result.stoppedOnPlateau ? ' (stopped on a plateau)' : ''}
                  {result.cancelled ? ' (cancelled: best so far)' : ''} · {(result.ms / 1000).toFixed(1)} s · winner: {result.winner === 0 && result.encoderOnly ? 'encoder start' : `restart ${result.winner}`}
                </span>
                <span className="text-muted" data-testid="gradient-source" title={result.gradientNote ?? "dL/dz from the model's own inversion graph, or from its generator differentiated by Latent Studio"}>
                  gradients: {result.gradientSource}
                </span>
                <button type="button" onClick={edit} className="rounded bg-accent px-3 py-1 font-medium text-canvas" title="Edit this code along directions">
                  Edit
                </button>
                <button
                  type="button"
                  disabled={saved}
                  onClick={() => {
                    addInversion({ id: `inv-${Date.now()}`, model: modelId, label: target.label, z: result.z, psnr: result.psnr, ssim: result.ssim, target: target.tensor });
                    setSaved(true);
                  }}
                  className="rounded border border-line px-3 py-1 hover:bg-panel-raised disabled:opacity-40"
                  title="Keep this code in the project"
                >
                  {saved ? 'Saved in project' : 'Save to project'}
                </button>
              </div>
            )}
            {comparison && (
              <table className="text-sm" data-testid="comparison">
                <thead>
                  <tr className="text-left text-muted">
                    <th className="pr-6 font-normal">Start</th>
                    <th className="pr-6 font-normal">Result</th>
                    <th className="pr-6 font-normal">PSNR</th>
                    <th className="font-normal">SSIM</th>
                  </tr>
                </thead>
                <tbody>
                  {comparison.map((c) => (
                    <tr key={c.label}>
                      <td className="pr-6">{c.label}</td>
                      <td className="pr-6">
                        <ImageTile data={c.image.data} shape={c.image.shape} zoom={2} />
                      </td>
                      <td className="pr-6 tabular-nums">{c.psnr.toFixed(2)} dB</td>
                      <td className="tabular-nums">{c.ssim.toFixed(3)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        )}
      </main>
    </div>
  );
}
