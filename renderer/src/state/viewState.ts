import { useCallback, useRef } from 'react';
import { create } from 'zustand';

type Update<T> = T | ((old: T) => T);

/** Every view's inputs, settings and results, by key: kept when the view unmounts. */
const useViewStateStore = create<{ values: Record<string, unknown> }>(() => ({ values: {} }));

/**
 * useState that survives view switches: the value lives in a store under
 * `key` (unique per view and purpose), so leaving a view and coming back
 * finds it as it was, and an async job that finishes while the view is
 * hidden still lands its result.
 */
export function useViewState<T>(key: string, initial: T): [T, (update: Update<T>) => void] {
  // The first render's initial value, kept, so the selector returns the same object until a set.
  const first = useRef(initial).current;
  const value = useViewStateStore((s) => (key in s.values ? (s.values[key] as T) : first));
  const set = useCallback(
    (update: Update<T>) =>
      useViewStateStore.setState((s) => {
        const old = (key in s.values ? s.values[key] : first) as T;
        const next = typeof update === 'function' ? (update as (old: T) => T)(old) : update;
        return { values: { ...s.values, [key]: next } };
      }),
    [key, first],
  );
  return [value, set];
}

/** The value stored under `key` now, outside React (undefined before the first set). */
export function viewStateValue<T>(key: string): T | undefined {
  return useViewStateStore.getState().values[key] as T | undefined;
}

/** Forgets every view's state (a new or opened project starts its views afresh). */
export function resetViewState(): void {
  useViewStateStore.setState({ values: {} });
}
