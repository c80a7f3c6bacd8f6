import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { nodeRequire, ort } from './ort';

export type ProviderName = 'cuda' | 'dml' | 'cpu';
export interface ProviderStatus {
  name: ProviderName;
  available: boolean;
  reason?: string;
}

interface Backend {
  name: string;
  bundled: boolean;
}

/** Folder holding the native binding and, when its installer was allowed to run, the CUDA provider. */
function bindingDir(): string {
  const root = dirname(nodeRequire.resolve('onnxruntime-node/package.json'));
  return join(root, 'bin', 'napi-v6', process.platform, process.arch);
}

/**
 * Which execution providers this machine can use, in preference order
 * (CUDA on Linux x64, DirectML on Windows, CPU everywhere), each with the
 * reason it is unavailable where it is.
 */
export function detectProviders(
  platform: string = process.platform,
  arch: string = process.arch,
  backends: Backend[] = ort.listSupportedBackends(),
  fileExists: (path: string) => boolean = existsSync,
): ProviderStatus[] {
  const has = (name: string) => backends.find((b) => b.name === name);
  const cuda: ProviderStatus = (() => {
    if (platform !== 'linux' || arch !== 'x64') return { name: 'cuda', available: false, reason: 'CUDA: only on Linux x64' };
    const backend = has('cuda');
    if (!backend) return { name: 'cuda', available: false, reason: 'CUDA: not supported by this onnxruntime-node build' };
    const lib = 'libonnxruntime_providers_cuda.so';
    if (!backend.bundled && !fileExists(join(bindingDir(), lib))) {
      return { name: 'cuda', available: false, reason: `CUDA: ${lib} not found (see README, "NVIDIA GPUs")` };
    }
    return { name: 'cuda', available: true };
  })();
  const dml: ProviderStatus =
    platform !== 'win32'
      ? { name: 'dml', available: false, reason: 'DirectML: only on Windows' }
      : has('dml')
        ? { name: 'dml', available: true }
        : { name: 'dml', available: false, reason: 'DirectML: not in this onnxruntime-node build' };
  return [cuda, dml, { name: 'cpu', available: true }];
}

/** The providers to try, in order: a forced one first (if available), then the rest, CPU last. */
export function providerOrder(statuses: ProviderStatus[], forced?: ProviderName): ProviderName[] {
  const available = statuses.filter((p) => p.available).map((p) => p.name);
  const ordered = forced && available.includes(forced) ? [forced, ...available.filter((p) => p !== forced)] : available;
  return ordered.includes('cpu') ? ordered : [...ordered, 'cpu'];
}
