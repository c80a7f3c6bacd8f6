import { create } from 'zustand';
import type { ViewId } from './appStore';

/** A long job in flight: which view started it, how far it is, and how to stop it. */
export interface RunningJob {
  id: number;
  view: ViewId;
  label: string;
  done: number;
  total: number;
  /** Stops the job; where the job keeps a best-so-far, that becomes its result. */
  stop(): void;
}

let nextId = 0;

/**
 * Jobs outlive the view that started them: they run while the user looks
 * elsewhere, the status bar shows their progress, and Esc stops the focused
 * view's newest one.
 */
export const useJobsStore = create<{
  jobs: RunningJob[];
  start(job: Omit<RunningJob, 'id'>): number;
  update(id: number, done: number, total: number): void;
  /** A job that goes on to another stage says so (the status bar shows the label). */
  relabel(id: number, label: string): void;
  finish(id: number): void;
}>((set) => ({
  jobs: [],
  start: (job) => {
    const id = ++nextId;
    set((s) => ({ jobs: [...s.jobs, { ...job, id }] }));
    return id;
  },
  update: (id, done, total) => set((s) => ({ jobs: s.jobs.map((j) => (j.id === id ? { ...j, done, total } : j)) })),
  relabel: (id, label) => set((s) => ({ jobs: s.jobs.map((j) => (j.id === id ? { ...j, label } : j)) })),
  finish: (id) => set((s) => ({ jobs: s.jobs.filter((j) => j.id !== id) })),
}));

/** Stops the newest job the view started; false when it has none. */
export function stopViewJob(view: ViewId): boolean {
  const job = useJobsStore.getState().jobs.filter((j) => j.view === view).at(-1);
  job?.stop();
  return !!job;
}
