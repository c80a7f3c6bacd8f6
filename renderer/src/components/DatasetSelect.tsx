import type { DatasetSummary } from '../../../electron/api/contract';
import { useDatasetStore } from '../state/datasetStore';
import { formatCount } from '../lib/formatCount';

/** Chooses the dataset a view works on, among those that fit its model; a single option is named, not offered. */
export function DatasetSelect({ view, dataset, options }: { view: string; dataset?: DatasetSummary; options: DatasetSummary[] }) {
  const choose = useDatasetStore((s) => s.choose);
  if (!dataset) return null;
  const describe = (d: DatasetSummary) => `${d.name} · ${formatCount(d.count)}`;
  return (
    <label className="flex items-center gap-2 text-sm text-muted" title="The images this view takes dataset images, labels and codes from">
      Dataset
      {options.length > 1 ? (
        <select value={dataset.id} onChange={(e) => choose(view, e.target.value)} aria-label="Dataset" className="max-w-56 rounded border border-line bg-panel-raised px-2 py-1 text-sm text-ink">
          {options.map((d) => (
            <option key={d.id} value={d.id}>
              {describe(d)}
            </option>
          ))}
        </select>
      ) : (
        <span className="text-ink" data-testid="dataset-name">
          {describe(dataset)}
        </span>
      )}
    </label>
  );
}
