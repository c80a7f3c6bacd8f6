import { useRef } from 'react';

/**
 * `value`, or the earlier one while it is equal (the same JSON): for effects that depend on parts of an object a
 * caller rebuilds with equal contents, as a model's summary is rebuilt when it loads (its provider and load time
 * change, its shapes do not), so a request on its way is not sent again.
 */
export function useByValue<T>(value: T): T {
  const kept = useRef<{ json: string; value: T }>(undefined);
  const json = JSON.stringify(value) ?? 'undefined';
  if (kept.current?.json !== json) kept.current = { json, value };
  return kept.current.value;
}
