import { memo, useState } from 'react';
import type { DatasetSummary, ModelSummary } from '../../../../electron/api/contract';
import { orthogonalize } from '../../../../electron/common/vectors';
import { JobProgress } from '../../components/JobProgress';
import { useAppStore } from '../../state/appStore';
import { useEditStore, type Direction } from '../../state/editStore';
import { codesTensor, type CodeSpace } from '../../lib/codeSpace';
import { useLatentStore } from '../../state/latentStore';
import { useJobsStore } from '../../state/jobsStore';
import { useViewState } from '../../state/viewState';
import { classifierFor, noClassifierNote } from '../../lib/modelKinds';
import { noDatasetNote } from '../../lib/useDecoded';

type Mode = 'classes' | 'selection' | 'boundary' | 'gradient' | 'principal' | 'orthogonal';
const MODES: { id: Mode; label: string; hint: string }[] = [
  { id: 'classes', label: 'Classes', hint: 'Mean code of one set of classes minus another' },
  { id: 'selection', label: 'Picked', hint: 'Mean code of images you mark + minus those you mark −' },
  { id: 'boundary', label: 'Boundary', hint: 'A linear boundary fitted to classifier scores (InterFaceGAN)' },
  { id: 'gradient', label: 'Gradient', hint: "More of a class at this image: the classifier's gradient through the decoder, local to the current code" },
  { id: 'principal', label: 'Principal', hint: 'Directions of largest variance in the dataset’s codes (GANSpace)' },
  { id: 'orthogonal', label: 'Orthogonal', hint: 'A direction with its components along others removed' },
];

function ClassSelect({ labels, value, onChange, label }: { labels: string[]; value: number; onChange(v: number): void; label: string }) {
  return (
    <select value={value} onChange={(e) => onChange(Number(e.target.value))} aria-label={label} className="rounded border border-line bg-panel-raised px-1 py-1 text-sm">
      {labels.map((l, i) => (
        <option key={l} value={i}>
          {l}
        </option>
      ))}
    </select>
  );
}

/** Which of a dataset's label sets the class choices name, where it has more than one. */
function LabelSetSelect({ sets, value, onChange }: { sets: DatasetSummary['labelSets']; value: number; onChange(v: number): void }) {
  if (sets.length < 2) return null;
  return (
    <select value={value} onChange={(e) => onChange(Number(e.target.value))} aria-label="Labels" title="Which of the dataset's labels the classes are" className="rounded border border-line bg-panel-raised px-1 py-1 text-sm">
      {sets.map((set, i) => (
        <option key={set.name} value={i}>
          {set.name} ({set.labels.length})
        </option>
      ))}
    </select>
  );
}

/** Makes a named direction for the model by one of the methods above; `code` (the edited image's, described by `at`) is where gradient directions are taken. */
export const NewDirection = memo(function NewDirection({ model, space = 'z', dataset, code, at }: { model: ModelSummary; space?: CodeSpace; dataset?: DatasetSummary; code?: Float32Array; at?: string }) {
  const client = useAppStore((s) => s.client);
  const inStyle = space !== 'z';
  const classifier = classifierFor(useAppStore((s) => s.models), model);
  // Class and label directions come from the view's dataset and one of its ways of labelling (an emoji's design system or category).
  const labelSets = dataset?.labelSets ?? [];
  const [setChoice, setLabelSet] = useViewState('edit.newDirection.labelSet', 0);
  const labelSet = setChoice < labelSets.length ? setChoice : 0;
  const labels = labelSets[labelSet]?.labels ?? dataset?.labels ?? [];
  // Picks are made in the explorer, on the explorer's dataset.
  const explored = useLatentStore((s) => s.dataset);
  // Boundary and gradient targets index the classifier's classes, whatever the model calls its own.
  const classes = classifier?.labels ?? labels;
  const addToStore = useEditStore((s) => s.addDirection);
  // Every direction made here moves codes of the edited code's space.
  const addDirection = (d: Omit<Direction, 'space'>) => addToStore(inStyle ? { ...d, space } : d);
  const directions = useEditStore((s) => s.directions).filter((d) => d.model === model.id && (d.space ?? 'z') === space);
  const selection = useLatentStore((s) => s.selection);
  const [mode, setMode] = useViewState<Mode>('edit.newDirection.mode', 'classes');
  const [fromChoice, setFrom] = useViewState('edit.newDirection.from', 7);
  const [toChoice, setTo] = useViewState('edit.newDirection.to', 9);
  // Fashion-MNIST's Sneaker → Ankle boot by default; datasets with fewer labels start at their first two.
  const from = fromChoice < labels.length ? fromChoice : 0;
  const to = toChoice < labels.length ? toChoice : Math.min(1, labels.length - 1);
  const [plus, setPlus] = useViewState<number[]>('edit.newDirection.plus', []);
  const [minus, setMinus] = useViewState<number[]>('edit.newDirection.minus', []);
  const [target, setTarget] = useViewState('edit.newDirection.target', 9);
  const [base, setBase] = useViewState<string>('edit.newDirection.base', '');
  const [against, setAgainst] = useViewState<string[]>('edit.newDirection.against', []);
  const [progress, setProgress] = useViewState<{ done: number; total: number; cancel(): void } | undefined>('edit.newDirection.progress', undefined);
  const [message, setMessage] = useState<{ text: string; error?: boolean }>();

  async function run(work: () => Promise<string>) {
    setMessage(undefined);
    try {
      setMessage({ text: await work() });
    } catch (e) {
      setMessage({ text: (e as Error).message, error: true });
    } finally {
      setProgress(undefined);
    }
  }

  const fromClasses = () =>
    run(async () => {
      const r = await client!.invoke('direction.meanDifference', { model: model.id, dataset: dataset!.id, positive: { classes: [to] }, negative: { classes: [from] }, labelSet });
      const name = addDirection({ name: `${labels[from]} → ${labels[to]}`, model: model.id, kind: 'mean-difference', note: `mean of ${r.positive} ${labels[to]} − mean of ${r.negative} ${labels[from]}`, vector: r.vector.data });
      return `Added “${name}”.`;
    });

  const fromPicked = () =>
    run(async () => {
      const r = await client!.invoke('direction.meanDifference', { model: model.id, dataset: explored, positive: { indices: plus }, negative: { indices: minus } });
      const name = addDirection({ name: `picked (${plus.length}+ / ${minus.length}−)`, model: model.id, kind: 'mean-difference', note: 'mean of the + images − mean of the − images', vector: r.vector.data });
      setPlus([]);
      setMinus([]);
      return `Added “${name}”.`;
    });

  const fromBoundary = () =>
    run(async () => {
      const controller = new AbortController();
      const jobs = useJobsStore.getState();
      const jobId = jobs.start({ view: 'edit', label: 'Scoring samples', done: 0, total: 0, stop: () => controller.abort() });
      const r = await client!
        .invoke(
          'direction.boundary',
          { model: model.id, classifier: classifier!.id, target: [target], samples: 4000, share: 0.1, seed: 0, space },
          {
            signal: controller.signal,
            onProgress: (p) => {
              jobs.update(jobId, p.done, p.total);
              setProgress({ ...p, cancel: () => controller.abort() });
            },
          },
        )
        .finally(() => jobs.finish(jobId));
      const name = addDirection({ name: `more ${classes[target]} (boundary)`, model: model.id, kind: 'boundary', note: `separates the ${r.positives} most and least ${classes[target]}-like of 4,000 samples with ${(r.accuracy * 100).toFixed(1)}% accuracy`, vector: r.vector.data });
      return `Added “${name}”: the boundary separates the scored sets with ${(r.accuracy * 100).toFixed(1)}% accuracy.`;
    });

  const fromLabels = () =>
    run(async () => {
      const r = await client!.invoke('direction.labelBoundary', { model: model.id, dataset: dataset!.id, positive: [to], negative: [from], labelSet });
      const name = addDirection({ name: `${labels[from]} → ${labels[to]} (boundary)`, model: model.id, kind: 'boundary', note: `a linear boundary between ${r.negatives} ${labels[from]} and ${r.positives} ${labels[to]} codes of ${dataset!.name}, ${(r.accuracy * 100).toFixed(1)}% of them on their side`, vector: r.vector.data });
      return `Added “${name}”: ${(r.accuracy * 100).toFixed(1)}% of the two labels' codes fall on their own side.`;
    });

  const fromGradient = () =>
    run(async () => {
      const r = await client!.invoke('direction.gradient', { model: model.id, classifier: classifier!.id, target: [target], code: codesTensor(model, space, code!, 1), space });
      const percent = (r.probability * 100).toPrecision(3);
      const name = addDirection({ name: `more ${classes[target]} (gradient)`, model: model.id, kind: 'gradient', note: `∇ log P(${classes[target]}) at ${at ?? 'the edited image'}, where P was ${percent}%; local to that image`, vector: r.vector.data });
      return `Added “${name}”: P(${classes[target]}) is ${percent}% here and its log rises ${r.slope.toFixed(2)} per step, at first.`;
    });

  const fromPrincipal = () =>
    run(async () => {
      const r = await client!.invoke('direction.principal', inStyle ? { model: model.id, count: 4, space } : { model: model.id, dataset: dataset!.id, count: 4 });
      const size = r.vectors.data.length / r.vectors.shape[0]!;
      r.explained.forEach((share, c) =>
        addDirection({ name: inStyle ? `${space} PC${c + 1}` : `PC${c + 1}`, model: model.id, kind: 'principal', note: `${(share * 100).toFixed(1)}% of the ${inStyle ? 'mapped samples’ w' : 'codes'}' variance; rename it for what it changes`, vector: r.vectors.data.slice(c * size, (c + 1) * size) }),
      );
      return `Added PC1–PC${r.explained.length}; each step of 1 is one standard deviation.`;
    });

  const makeOrthogonal = () =>
    run(async () => {
      const source = directions.find((d) => d.name === base);
      const others = directions.filter((d) => against.includes(d.name));
      if (!source || others.length === 0) throw new Error('Choose a direction and at least one to make it orthogonal to.');
      const name = addDirection({ name: `${source.name} ⟂ ${others.map((o) => o.name).join(', ')}`, model: model.id, kind: 'orthogonal', note: `“${source.name}” without its components along the others`, vector: orthogonalize(source.vector, others.map((o) => o.vector)) });
      return `Added “${name}”.`;
    });

  const button = 'rounded bg-accent px-3 py-1 text-sm font-medium text-canvas hover:brightness-110 disabled:opacity-40';
  return (
    <section aria-label="New direction" className="rounded-lg border border-line p-3">
      <h3 className="mb-2 text-xs font-medium uppercase tracking-wide text-muted">New direction</h3>
      <div role="tablist" className="mb-3 flex flex-wrap gap-1">
        {MODES.map((m) => (
          <button key={m.id} role="tab" aria-selected={mode === m.id} onClick={() => setMode(m.id)} title={m.hint} className={`rounded px-2 py-0.5 text-xs ${mode === m.id ? 'bg-panel-raised text-ink' : 'text-muted hover:text-ink'}`}>
            {m.label}
          </button>
        ))}
      </div>
      {inStyle && (mode === 'classes' || mode === 'selection') && (
        <p className="text-xs text-muted" data-testid="style-space-note">
          Class and picked directions come from a dataset's encoded codes, which are z codes. In {space}, use Principal (GANSpace: the main axes of mapped samples), Boundary or Gradient.
        </p>
      )}
      {!inStyle && (mode === 'classes' || mode === 'principal') && !dataset && (
        <p className="text-xs text-muted" data-testid="no-dataset">
          {noDatasetNote(model)}
        </p>
      )}
      {mode === 'classes' && dataset && !inStyle && (
        <div className="flex flex-wrap items-center gap-2 text-sm">
          <LabelSetSelect sets={labelSets} value={labelSet} onChange={setLabelSet} />
          <ClassSelect labels={labels} value={from} onChange={setFrom} label="From class" />→<ClassSelect labels={labels} value={to} onChange={setTo} label="To class" />
          <button type="button" className={button} onClick={() => void fromClasses()} disabled={from === to}>
            Add direction
          </button>
        </div>
      )}
      {mode === 'selection' && !inStyle && (
        <div className="flex flex-col gap-2 text-sm">
          <p className="text-xs text-muted">Select images in Explore, then mark them here as having (+) or lacking (−) the attribute.</p>
          <div className="flex gap-2">
            <button type="button" disabled={selection.length === 0 || !explored} onClick={() => setPlus([...new Set([...plus, ...selection])])} className="rounded border border-line px-2 py-1 disabled:opacity-40">
              + selection ({plus.length})
            </button>
            <button type="button" disabled={selection.length === 0} onClick={() => setMinus([...new Set([...minus, ...selection])])} className="rounded border border-line px-2 py-1 disabled:opacity-40">
              − selection ({minus.length})
            </button>
            <button type="button" className={button} disabled={!plus.length || !minus.length} onClick={() => void fromPicked()}>
              Add direction
            </button>
          </div>
        </div>
      )}
      {mode === 'boundary' && (
        <div className="flex flex-col gap-3 text-sm">
          {dataset && labels.length >= 2 && !inStyle && (
            <div className="flex flex-wrap items-center gap-2" data-testid="label-boundary">
              <span className="w-full text-xs text-muted">Between two labels of {dataset.name}, on their codes:</span>
              <LabelSetSelect sets={labelSets} value={labelSet} onChange={setLabelSet} />
              <ClassSelect labels={labels} value={from} onChange={setFrom} label="Boundary from label" />→<ClassSelect labels={labels} value={to} onChange={setTo} label="Boundary to label" />
              <button type="button" className={button} onClick={() => void fromLabels()} disabled={from === to}>
                Fit between labels
              </button>
            </div>
          )}
          {classifier ? (
            <div className="flex flex-wrap items-center gap-2">
              <span className="w-full text-xs text-muted">From {classifier.name}'s scores of random samples:</span>
              More <ClassSelect labels={classes} value={target} onChange={setTarget} label="Attribute class" />
              <button type="button" className={button} onClick={() => void fromBoundary()} disabled={!!progress}>
                Fit boundary
              </button>
            </div>
          ) : (
            <p className="text-xs text-muted" data-testid="no-classifier">
              A boundary can also be fitted to a classifier's scores. {noClassifierNote(model)}
            </p>
          )}
        </div>
      )}
      {mode === 'gradient' && (
        <div className="flex flex-wrap items-center gap-2 text-sm">
          {!classifier ? (
            <p className="text-xs text-muted" data-testid="no-classifier">
              The gradient is a classifier's, through the decoder. {noClassifierNote(model)}
            </p>
          ) : !code ? (
            <p className="text-xs text-muted">Pick an image to edit first: the direction is taken at its code.</p>
          ) : (
            <>
              More <ClassSelect labels={classes} value={target} onChange={setTarget} label="Gradient class" />
              <button type="button" className={button} onClick={() => void fromGradient()} title="The direction in which this image becomes more like the class, fastest, for the classifier">
                Add direction here
              </button>
            </>
          )}
        </div>
      )}
      {mode === 'principal' && (dataset || inStyle) && (
        <button type="button" className={button} onClick={() => void fromPrincipal()}>
          Add PC1–PC4
        </button>
      )}
      {mode === 'orthogonal' && (
        <div className="flex flex-col gap-2 text-sm">
          <select value={base} onChange={(e) => setBase(e.target.value)} aria-label="Direction to change" className="rounded border border-line bg-panel-raised px-1 py-1">
            <option value="">Direction…</option>
            {directions.map((d) => (
              <option key={d.name}>{d.name}</option>
            ))}
          </select>
          <div className="flex flex-wrap gap-2 text-xs">
            {directions
              .filter((d) => d.name !== base)
              .map((d) => (
                <label key={d.name} className="flex items-center gap-1">
                  <input type="checkbox" checked={against.includes(d.name)} onChange={(e) => setAgainst(e.target.checked ? [...against, d.name] : against.filter((a) => a !== d.name))} />
                  {d.name}
                </label>
              ))}
          </div>
          <button type="button" className={button} onClick={() => void makeOrthogonal()}>
            Add orthogonal direction
          </button>
        </div>
      )}
      {progress && <div className="mt-2"><JobProgress label="Scoring samples" done={progress.done} total={progress.total} unit="samples" onCancel={progress.cancel} /></div>}
      {message && (
        <p role={message.error ? 'alert' : 'status'} className={`mt-2 text-xs ${message.error ? 'text-danger' : 'text-muted'}`}>
          {message.text}
        </p>
      )}
    </section>
  );
});
