import { useCallback, useEffect, useState } from 'react';
import type { CallResult, ModelSummary } from '../../../../electron/api/contract';
import { ApiError } from '../../../../electron/api/errors';
import type { Float32Tensor } from '../../../../electron/api/tensor';
import { EmptyState } from '../../components/EmptyState';
import { ImageTile } from '../../components/ImageTile';
import { JobProgress } from '../../components/JobProgress';
import { useAppStore } from '../../state/appStore';
import { ImageSource } from '../../components/ImageSource';
import { ConditioningFields, conditioningDefaults } from './ConditioningFields';
import { ReversePanel } from './ReversePanel';
import { ScheduleChart } from './ScheduleChart';
import { Message } from '../../components/Message';
import { useDiffuseStore, type DiffuseTab } from '../../state/diffuseStore';
import { useJobsStore } from '../../state/jobsStore';
import { useViewState } from '../../state/viewState';
import { ModelSelect } from '../../components/ModelSelect';

type Tab = DiffuseTab;

function ModelPicker({ models, value, onChange }: { models: ModelSummary[]; value: string; onChange(id: string): void }) {
  return <ModelSelect models={models} value={value} onChange={onChange} label="Diffusion model" className="rounded border border-line bg-panel-raised px-2 py-1 text-sm" />;
}

/** The view's one model choice, shared by its three tabs (Generate's, with its class and guidance reset on a change). */
function useDiffuseModel(models: ModelSummary[]): [string, (id: string) => void] {
  const chosen = useDiffuseStore((s) => s.settings.model);
  const chooseModel = useDiffuseStore((s) => s.chooseModel);
  const model = chosen && models.some((m) => m.id === chosen) ? chosen : models[0]!.id;
  return [model, chooseModel];
}

/**
 * The image the forward process and image-to-image start from, one for both tabs, kept with the model it was fitted
 * to: picked in one tab it is there in the other, and another model's tabs ask for an image at its own size.
 */
function useDiffuseInput(model: string) {
  const [input, setInput] = useViewState<{ model: string; tensor: Float32Tensor; label: string } | undefined>('diffuse.input', undefined);
  const image = input?.model === model ? input : undefined;
  const pick = useCallback((tensor: Float32Tensor, label: string) => setInput({ model, tensor, label }), [model, setInput]);
  return [image, pick] as const;
}

/** The forward process's pictures: their longer side, CSS px, at most. */
const FORWARD_SIZE = 320;

/** q(x_t | x_0): slide t and watch the image drown in noise, with the schedule plotted beside it. */
function ForwardPanel({ models }: { models: ModelSummary[] }) {
  const client = useAppStore((s) => s.client);
  const [model, setModel] = useDiffuseModel(models);
  const [image, setImage] = useDiffuseInput(model);
  const [t, setT] = useViewState('diffuse.forward.t', 250);
  const [schedule, setSchedule] = useState<CallResult<'diffusion.schedule'>>();
  const [noised, setNoised] = useState<Float32Tensor>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    client?.invoke('diffusion.schedule', { model }).then(setSchedule, (e: Error) => setError(e.message));
  }, [client, model]);
  useEffect(() => {
    if (!client || !image) return;
    let current = true;
    client.invoke('diffusion.forward', { model, image: image.tensor, t: [t], seed: 0, lane: 'forward' }).then(
      (r) => current && setNoised(r.images),
      (e: unknown) => !(e instanceof ApiError && e.code === 'superseded') && setError((e as Error).message),
    );
    return () => {
      current = false;
    };
  }, [client, model, image, t]);

  return (
    <div className="flex flex-wrap gap-8">
      <div className="flex w-80 flex-col gap-3">
        <ModelPicker models={models} value={model} onChange={setModel} />
        <ImageSource model={model} view="diffuse" onImage={setImage} />
        <Message text={error} className="text-xs" />
      </div>
      {image && schedule ? (
        <div className="flex flex-col gap-3">
          <div className="flex gap-4">
            {/* 5× a 28 px image; a 256 px one at most 320 px a side, so the pair and the slider stay on screen. */}
            <ImageTile data={image.tensor.data} shape={image.tensor.shape} zoom={5} maxSize={FORWARD_SIZE} label={`x₀ · ${image.label}`} />
            {noised && <ImageTile data={noised.data} shape={noised.shape} zoom={5} maxSize={FORWARD_SIZE} label={`x_t at t = ${t}`} />}
          </div>
          <label className="flex items-center gap-2 text-sm">
            t
            <input type="range" min={0} max={schedule.timesteps - 1} value={t} onChange={(e) => setT(Number(e.target.value))} onDoubleClick={() => setT(0)} aria-label="Timestep" className="w-80" title="Double-click resets to 0" />
            <span className="w-10 tabular-nums">{t}</span>
          </label>
          <ScheduleChart betas={schedule.betas.data} alphasCumprod={schedule.alphasCumprod.data} t={t} />
          {schedule.space === 'latent' && <p className="max-w-96 text-xs text-muted">Latent diffusion noises the VAE code, so x_t is shown decoded: it turns into other garments rather than into static.</p>}
        </div>
      ) : (
        <p className="text-sm text-muted">Pick an image to noise.</p>
      )}
    </div>
  );
}

const T0S = [100, 250, 400, 550, 700, 850];

/** SDEdit: noise the user's image to t0 and denoise it; small t0 stays faithful, large t0 is free. */
function ImageToImagePanel({ models }: { models: ModelSummary[] }) {
  const client = useAppStore((s) => s.client);
  const [model, setModel] = useDiffuseModel(models);
  const [image, setImage] = useDiffuseInput(model);
  // A strip shows only beside the model that made it, as its input does.
  const [strip, setResults] = useViewState<{ t0: number; image: Float32Tensor; model: string }[]>('diffuse.img2img.results', []);
  const results = strip.filter((r) => r.model === model);
  const [job, setJob] = useViewState<{ done: number; cancel(): void } | undefined>('diffuse.img2img.job', undefined);
  const [error, setError] = useViewState<string | undefined>('diffuse.img2img.error', undefined);
  const [seed, setSeed] = useViewState('diffuse.img2img.seed', 0);
  // A class-conditional model turns the image towards the class asked for ("this drawing as a Twemoji smiley").
  const [chosen, setChosen] = useViewState<{ model?: string; label?: number | null; guidance?: number }>('diffuse.img2img.conditioning', {});
  const conditioning = models.find((m) => m.id === model)?.diffusion?.conditioning;
  const { label, guidance } = conditioningDefaults(conditioning, chosen.model === model ? chosen : {}, 'unconditional');

  async function run() {
    if (!client || !image) return;
    const controller = new AbortController();
    setResults([]);
    setError(undefined);
    const jobs = useJobsStore.getState();
    const jobId = jobs.start({ view: 'diffuse', label: 'Image-to-image', done: 0, total: T0S.length, stop: () => controller.abort() });
    try {
      for (const [i, t0] of T0S.entries()) {
        setJob({ done: i, cancel: () => controller.abort() });
        jobs.update(jobId, i, T0S.length);
        const r = await client.invoke('diffusion.sample', { model, sampler: { kind: 'ddim', eta: 0 }, steps: 50, seed, batch: 1, init: { images: image.tensor, t0 }, ...(label !== undefined ? { label, guidance } : {}) }, { signal: controller.signal });
        setResults((old) => [...old, { t0, image: r.final, model }]);
      }
    } catch (e) {
      setError(e instanceof ApiError && e.code === 'cancelled' ? 'Cancelled.' : (e as Error).message);
    } finally {
      jobs.finish(jobId);
      setJob(undefined);
    }
  }

  return (
    <div className="flex flex-wrap gap-8">
      <div className="flex w-80 flex-col gap-3">
        <ModelPicker models={models} value={model} onChange={setModel} />
        <ImageSource model={model} view="diffuse" onImage={setImage} />
        <label className="flex items-center gap-2 text-sm">
          Seed
          <input type="number" min={0} value={seed} onChange={(e) => setSeed(Math.max(0, Math.floor(Number(e.target.value) || 0)))} className="w-20 rounded border border-line bg-panel-raised px-2 py-1" />
        </label>
        {conditioning && <ConditioningFields conditioning={conditioning} label={label} guidance={guidance} onChange={(next) => setChosen({ model, ...next })} />}
        <button type="button" onClick={() => void run()} disabled={!image || !!job} className="rounded bg-accent px-3 py-1 text-sm font-medium text-canvas disabled:opacity-40">
          Noise and denoise at {T0S.length} levels
        </button>
        {job && <JobProgress label="Image-to-image" done={job.done} total={T0S.length} onCancel={job.cancel} />}
        <Message text={error} className="text-xs" />
      </div>
      <div className="flex min-w-0 flex-1 flex-col gap-3">
        {image ? <ImageTile data={image.tensor.data} shape={image.tensor.shape} zoom={4} maxSize={192} label={`input · ${image.label}`} /> : <p className="text-sm text-muted">Pick an image to start from.</p>}
        {results.length > 0 && (
          <div className="flex flex-wrap gap-2" data-testid="img2img-strip">
            {results.map((r) => (
              // 3× a 28 px image; a larger one at most 104 px, so the six levels share a row beside the settings.
              <ImageTile key={r.t0} data={r.image.data} shape={r.image.shape} zoom={3} maxSize={104} label={`t₀ = ${r.t0}`} />
            ))}
          </div>
        )}
        <p className="max-w-96 text-xs text-muted">Left to right: more noise before denoising, so less of the input survives and more is invented.</p>
      </div>
    </div>
  );
}

const TABS: { id: Tab; label: string }[] = [
  { id: 'reverse', label: 'Generate' },
  { id: 'forward', label: 'Forward process' },
  { id: 'img2img', label: 'Image to image' },
];

export function DiffuseView() {
  const models = useAppStore((s) => s.models).filter((m) => m.kind === 'diffusion');
  const tab = useDiffuseStore((s) => s.tab);
  const setTab = useDiffuseStore((s) => s.setTab);
  if (models.length === 0) return <EmptyState title="No diffusion model">Add a diffusion model (a denoiser with its noise schedule) in the Models view.</EmptyState>;
  return (
    <div className="h-full overflow-auto p-6">
      <div className="mb-4 flex items-center gap-6">
        <h2 className="text-lg font-medium">Diffuse</h2>
        <div role="tablist" aria-label="Diffusion" className="flex gap-1">
          {TABS.map((t) => (
            <button key={t.id} role="tab" aria-selected={tab === t.id} onClick={() => setTab(t.id)} className={`rounded px-3 py-1 text-sm ${tab === t.id ? 'bg-panel-raised text-ink' : 'text-muted hover:text-ink'}`}>
              {t.label}
            </button>
          ))}
        </div>
      </div>
      {tab === 'forward' && <ForwardPanel models={models} />}
      {tab === 'reverse' && <ReversePanel models={models} />}
      {tab === 'img2img' && <ImageToImagePanel models={models} />}
    </div>
  );
}
