import { resolve } from 'node:path';
import { createEngine, type Engine } from '../../electron/engine/engine';
import { appPaths } from '../../electron/engine/paths';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const paths = appPaths(repoRoot);

/** The real engine over the real bundled models and dataset sample. */
export function realEngine(): Promise<Engine> {
  return createEngine({ paths, threads: 2 });
}
