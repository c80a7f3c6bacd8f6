import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatchCall } from '../../electron/engine/dispatch';
import { createEngine } from '../../electron/engine/engine';
import { defaultSessionThreads } from '../../electron/engine/runtime/threads';
import { callOptions, freshConfigDir, ok, paths } from '../helpers/engine';

/** A sysfs cpu folder: each CPU as [package, core], or null for one that is offline (no topology). */
function fakeCpus(cpus: ([number, number] | null)[]): string {
  const root = mkdtempSync(join(tmpdir(), 'cpus-'));
  cpus.forEach((cpu, i) => {
    const dir = join(root, `cpu${i}`);
    mkdirSync(dir);
    if (!cpu) return;
    mkdirSync(join(dir, 'topology'));
    writeFileSync(join(dir, 'topology', 'physical_package_id'), `${cpu[0]}\n`);
    writeFileSync(join(dir, 'topology', 'core_id'), `${cpu[1]}\n`);
  });
  // Entries that are not CPUs sit beside them in sysfs.
  mkdirSync(join(root, 'cpufreq'));
  writeFileSync(join(root, 'online'), '0-3\n');
  return root;
}

describe('threads a session computes with when none are set', () => {
  it('counts the physical cores the kernel reports (separate cores each, hyperthread pairs once, across packages), less one for the window', () => {
    expect(defaultSessionThreads(fakeCpus([[0, 0], [0, 1], [0, 2], [0, 3]]), 4)).toBe(3);
    expect(defaultSessionThreads(fakeCpus([[0, 0], [0, 0], [0, 1], [0, 1], [0, 2], [0, 2]]), 6)).toBe(2);
    expect(defaultSessionThreads(fakeCpus([[0, 0], [1, 0], [0, 1], [1, 1]]), 4)).toBe(3);
    // An offline CPU has no topology and is not counted; one core is all a session gets, never none.
    expect(defaultSessionThreads(fakeCpus([[0, 0], null, [0, 2], [0, 3]]), 4)).toBe(2);
    expect(defaultSessionThreads(fakeCpus([[0, 0], [0, 1]]), 2)).toBe(1);
    expect(defaultSessionThreads(fakeCpus([[0, 0]]), 1)).toBe(1);
  });

  it('stays within the CPUs the process may use, and leaves the runtime its default where the topology cannot be read', () => {
    expect(defaultSessionThreads(fakeCpus([[0, 0], [0, 1], [0, 2], [0, 3]]), 2)).toBe(1);
    expect(defaultSessionThreads(fakeCpus([null, null]), 2)).toBeUndefined();
    expect(defaultSessionThreads(join(tmpdir(), 'no-such-cpu-folder'), 2)).toBeUndefined();
  });

  it('is what the engine uses and reports while the threads setting is empty', async () => {
    const engine = await createEngine({ paths, configDir: freshConfigDir() });
    try {
      const info = ok<{ runtime: { automaticThreads?: number }; settings: { threads?: number } }>(await dispatchCall(engine.handlers, 'app.info', {}, callOptions()));
      expect(info.settings.threads).toBeUndefined();
      expect(info.runtime.automaticThreads).toBe(defaultSessionThreads());
      if (process.platform === 'linux') expect(info.runtime.automaticThreads).toBeGreaterThanOrEqual(1);
    } finally {
      await engine.dispose();
    }
  });
});
