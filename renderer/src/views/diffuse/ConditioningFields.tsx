import type { ModelSummary } from '../../../../electron/api/contract';

type Conditioning = NonNullable<NonNullable<ModelSummary['diffusion']>['conditioning']>;

/** A class-conditional model's class (or none, where it has an unconditional mode) and its guidance scale. */
export function ConditioningFields({ conditioning, label, guidance, onChange }: { conditioning: Conditioning; label: number | undefined; guidance: number; onChange(next: { label: number | undefined; guidance: number }): void }) {
  return (
    <>
      <label className="flex items-center gap-2 text-sm" title="The class the model is asked for">
        <span className="text-muted">Class</span>
        <select value={label ?? ''} onChange={(e) => onChange({ label: e.target.value === '' ? undefined : Number(e.target.value), guidance })} aria-label="Class" className="rounded border border-line bg-panel-raised px-2 py-1">
          {conditioning.unconditional && <option value="">none (unconditional)</option>}
          {conditioning.labels.map((name, i) => (
            <option key={name} value={i}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label className="flex items-center gap-2 text-sm" title="Classifier-free guidance: 1 asks for the class alone, higher follows it more closely, 0 ignores it">
        <span className="text-muted">Guidance</span>
        <input type="number" min={0} max={20} step={0.5} value={guidance} disabled={label === undefined} onChange={(e) => onChange({ label, guidance: Math.min(20, Math.max(0, Number(e.target.value) || 0)) })} aria-label="Guidance" className="w-20 rounded border border-line bg-panel-raised px-2 py-1 disabled:opacity-40" />
      </label>
    </>
  );
}

/** The class a conditional model starts on (its first, where it has no unconditional mode) and its default guidance. */
export function conditioningDefaults(conditioning: Conditioning | undefined, chosen: { label?: number; guidance?: number }): { label: number | undefined; guidance: number } {
  const label = conditioning ? (chosen.label ?? (conditioning.unconditional ? undefined : 0)) : undefined;
  return { label, guidance: chosen.guidance ?? conditioning?.guidance ?? 1 };
}
