import type { ModelSummary } from '../../../electron/api/contract';

/** Picks one of `models` by name; `label` is its accessible name. */
export function ModelSelect({ models, value, onChange, label = 'Model', disabled, className = 'rounded border border-line bg-panel-raised px-2 py-1 text-ink' }: { models: readonly ModelSummary[]; value: string | undefined; onChange(id: string): void; label?: string; disabled?: boolean; className?: string }) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled} aria-label={label} className={className}>
      {models.map((m) => (
        <option key={m.id} value={m.id}>
          {m.name}
        </option>
      ))}
    </select>
  );
}
