import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/**
 * Threads a session computes with when the person has not set a number: the cores the kernel reports, one per
 * physical core (hyperthreads share a core's arithmetic units, so ONNX Runtime counts cores, not logical CPUs), within
 * the CPUs this process may run on. ONNX Runtime's own default reads the topology from the processor (CPUID), and on
 * virtual machines that expose separate cores with the hyperthreading flag set it takes them for one core's two
 * threads: on this project's 2-core AMD EPYC machines it ran every session on one thread (a 512 px decode: 267 ms,
 * against 168 ms on two), leaving a core idle. Elsewhere than Linux the runtime's default stands (undefined).
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
    return Math.max(1, Math.min(cores.size, allowed));
  } catch {
    return undefined;
  }
}
