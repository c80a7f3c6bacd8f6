import { median } from './median';

/**
 * What a model's recent decodes for display cost in the engine (ms, the median of the last few), by model: what the page
 * knows of a model's speed before anything has measured it for a purpose (Edit's strip holds its first frame back for
 * a pointer on a dear model's slider by it).
 */
const recent = new Map<string, number[]>();
const KEPT = 5;

export function noteDecodeCost(model: string, ms: number): void {
  const list = recent.get(model) ?? [];
  list.push(ms);
  if (list.length > KEPT) list.shift();
  recent.set(model, list);
}

/** The median of the model's last few decodes for display, or undefined before any. */
export function decodeCost(model: string): number | undefined {
  const list = recent.get(model);
  return list?.length ? median(list) : undefined;
}
