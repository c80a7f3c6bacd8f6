// @vitest-environment jsdom
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, expect, it } from 'vitest';
import { useAppStore } from '../../renderer/src/state/appStore';
import { SampleGrid } from '../../renderer/src/views/models/SampleGrid';
import { modelSummary } from './modelSummary';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
// jsdom measures no boxes; the grid's codes do not depend on its width.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
} as unknown as typeof ResizeObserver;

afterEach(() => useAppStore.setState({ client: undefined, models: [] }));

it("a sample grid names its codes by seed: the page neither draws a large model's 16 codes nor sends them", async () => {
  // A 1024 px Stable-Diffusion-style VAE: 16 codes of [4, 128, 128] are a million normals and 4 MB as float32.
  const model = modelSummary('sd-vae-1024', { image: { channels: 3, height: 1024, width: 1024, range: [-1, 1] }, latent: { shape: [4, 128, 128], prior: 'standard-normal' } });
  const calls: { name: string; args: Record<string, unknown> }[] = [];
  const client = { invoke: (name: string, args: Record<string, unknown>) => (calls.push({ name, args }), new Promise(() => {})) };
  useAppStore.setState({ client: client as never, models: [model] });
  const root = createRoot(document.createElement('div'));
  await act(async () => root.render(<SampleGrid model={model} />));
  expect(calls.map((c) => c.name)).toEqual(['model.preview']);
  expect(calls[0]!.args).toMatchObject({ model: 'sd-vae-1024', prior: { seed: 1, count: 16, from: 0 } });
  expect(calls[0]!.args).not.toHaveProperty('z');
  // What goes over the socket is a few numbers, not the codes.
  expect(JSON.stringify(calls[0]!.args).length).toBeLessThan(300);
  act(() => root.unmount());
});
