import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Outcome } from '../../electron/engine/dispatch';
import { createEngine, type Engine } from '../../electron/engine/engine';
import { appPaths } from '../../electron/engine/paths';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const paths = appPaths(repoRoot);

export const freshConfigDir = () => mkdtempSync(join(tmpdir(), 'latent-studio-config-'));

/** The real engine over the real bundled models and dataset sample, with settings in a fresh folder. */
export function realEngine(configDir = freshConfigDir()): Promise<Engine> {
  return createEngine({ paths, configDir, threads: 2 });
}

/** Dispatch options for a test: a fresh signal, progress collected into an array. */
export function callOptions(progress: unknown[] = [], signal = new AbortController().signal, client = 1) {
  return { signal, client, onProgress: (p: unknown) => progress.push(p) };
}

/** The result of a dispatched call, or a thrown error naming its code and message. */
export function ok<T>(outcome: Outcome): T {
  if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
  return outcome.result as T;
}
