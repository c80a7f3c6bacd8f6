import { describe, expect, it } from 'vitest';
import { detectProviders, providerOrder } from '../../electron/engine/runtime/providers';

const cpuOnly = [{ name: 'cpu', bundled: true }, { name: 'cuda', bundled: false }];

describe('execution providers', () => {
  it('on Linux x64 without the CUDA provider library, says why and falls back to CPU', () => {
    const providers = detectProviders('linux', 'x64', cpuOnly, () => false);
    const cuda = providers.find((p) => p.name === 'cuda')!;
    expect(cuda.available).toBe(false);
    expect(cuda.reason).toMatch(/libonnxruntime_providers_cuda\.so not found/);
    expect(providerOrder(providers)).toEqual(['cpu']);
  });

  it('prefers CUDA where its library is installed, and honours a forced CPU', () => {
    const providers = detectProviders('linux', 'x64', cpuOnly, () => true);
    expect(providerOrder(providers)).toEqual(['cuda', 'cpu']);
    expect(providerOrder(providers, 'cpu')).toEqual(['cpu', 'cuda']);
  });

  it('offers DirectML on Windows only', () => {
    const windows = detectProviders('win32', 'x64', [{ name: 'cpu', bundled: true }, { name: 'dml', bundled: true }]);
    expect(providerOrder(windows)).toEqual(['dml', 'cpu']);
    expect(detectProviders('darwin', 'arm64', [{ name: 'cpu', bundled: true }]).filter((p) => p.available).map((p) => p.name)).toEqual(['cpu']);
  });

  it('reports what the real runtime on this machine offers', () => {
    const providers = detectProviders();
    expect(providers.find((p) => p.name === 'cpu')?.available).toBe(true);
    for (const p of providers.filter((p) => !p.available)) expect(p.reason).toBeTruthy();
  });
});
