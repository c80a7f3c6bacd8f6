import type { Edit } from './vectors';

/**
 * A non-destructive edit stack with undo and redo. Codes are always recomputed
 * from the base code and the current stack, so undo restores the exact code.
 */
export interface EditHistory {
  past: Edit[][];
  present: Edit[];
  future: Edit[][];
}

/** Undo keeps this many steps; older ones are dropped, in memory and in the project file. */
export const HISTORY_LIMIT = 100;

export const emptyHistory = (present: Edit[] = []): EditHistory => ({ past: [], present, future: [] });

/** A history read back from a project, trimmed to the limit (older undo steps and farther redo steps go first). */
export const restoredHistory = (present: Edit[], past: Edit[][] = [], future: Edit[][] = []): EditHistory => ({
  past: past.slice(-HISTORY_LIMIT),
  present,
  future: future.slice(0, HISTORY_LIMIT),
});

export function commit(history: EditHistory, next: Edit[]): EditHistory {
  if (sameStack(history.present, next)) return history;
  return { past: [...history.past, history.present].slice(-HISTORY_LIMIT), present: next, future: [] };
}

export function undo(history: EditHistory): EditHistory {
  const previous = history.past.at(-1);
  if (!previous) return history;
  return { past: history.past.slice(0, -1), present: previous, future: [history.present, ...history.future] };
}

export function redo(history: EditHistory): EditHistory {
  const [next, ...rest] = history.future;
  if (!next) return history;
  return { past: [...history.past, history.present], present: next, future: rest };
}

/** Sets one direction's amount in the stack (adding it, or dropping it at zero). */
export function setAmount(stack: readonly Edit[], direction: string, amount: number): Edit[] {
  const without = stack.filter((e) => e.direction !== direction);
  if (amount === 0) return stack.some((e) => e.direction === direction) ? stack.map((e) => (e.direction === direction ? { ...e, amount: 0 } : e)) : without;
  return stack.some((e) => e.direction === direction) ? stack.map((e) => (e.direction === direction ? { ...e, amount } : e)) : [...stack, { direction, amount }];
}

function sameStack(a: readonly Edit[], b: readonly Edit[]): boolean {
  return a.length === b.length && a.every((e, i) => e.direction === b[i]!.direction && e.amount === b[i]!.amount);
}
