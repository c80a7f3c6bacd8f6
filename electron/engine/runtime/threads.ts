import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/**
 * Threads a session computes with when the person has not set a number: one per physical core the kernel reports
 * (hyperthreads share a core's arithmetic units, so ONNX Runtime counts cores, not logical CPUs), within the CPUs this
 * process may run on, less one core for the window and the engine's own thread. ONNX Runtime's own default reads the
 * topology from the processor (CPUID) instead, which virtual machines misreport: on this project's 2-core AMD EPYC
 * machines it took the two cores for one core's two hyperthreads. Every core for the runtime made a 512 px decode
 * 1.6 times as fast there (267 → 168 ms), and shared them with the page: its longest task during 512 px drags rose from
 * under 50 to 53-94 ms and cold start by 0.15-0.2 s, so one core stays free for it. The Threads setting gives more.
 * Elsewhere than Linux the runtime's default stands (undefined).
 */
export function defaultSessionThreads(cpuRoot = '/sys/devices/system/cpu', allowed = availableParallelism()): number | undefined {
  if (process.platform !== 'linux' && cpuRoot === '/sys/devices/system/cpu') return undefined;
  try {
    const cores = new Set<string>();
    for (const name of readdirSync(cpuRoot)) {
      if (!/^cpu\d+$/.test(name)) continue;
      const topology = join(cpuRoot, name, 'topology');
      let core: string;
      try {
        core = `${readFileSync(join(topology, 'physical_package_id'), 'utf8').trim()}:${readFileSync(join(topology, 'core_id'), 'utf8').trim()}`;
      } catch {
        continue; // offline CPUs have no topology
      }
      cores.add(core);
    }
    if (cores.size === 0) return undefined;
    return Math.max(1, Math.min(cores.size, allowed) - 1);
  } catch {
    return undefined;
  }
}
