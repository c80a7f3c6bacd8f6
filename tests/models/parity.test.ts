import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../electron/engine/models/registry';
import type { Manifest } from '../../electron/engine/models/manifest';
import { SessionCache, runGraph } from '../../electron/engine/runtime/sessions';
import { paths } from '../helpers/engine';
import { readParity, relativeMaxError } from '../helpers/parity';

const EXPECTED_MODELS = ['fmnist-classifier', 'fmnist-vae', 'fmnist-ae', 'fmnist-vae-spatial', 'fmnist-ddpm-latent', 'fmnist-ddpm-latent-cond', 'fmnist-dcgan', 'fmnist-ddpm-pixel', 'fmnist-ddpm-pixel-cond', 'emoji-classifier', 'emoji-vae', 'emoji-dit'];
const folders = readdirSync(paths.models).filter((name) => existsSync(join(paths.models, name, 'manifest.json')));
const sessions = new SessionCache({ providers: ['cpu'], intraOpNumThreads: 2 });
afterAll(() => sessions.releaseAll());

describe('bundled models', () => {
  it('are all present', () => {
    expect(folders.sort()).toEqual([...EXPECTED_MODELS].sort());
  });
});

describe.each(folders)('%s: ONNX Runtime matches PyTorch', (folder) => {
  const dir = join(paths.models, folder);
  const parity = readParity(join(dir, 'parity.json'));

  it('has a manifest that validates and a parity case at batch 1 and a larger batch for every graph', async () => {
    const result = await readManifest(dir);
    expect(result).toHaveProperty('manifest');
    const manifest = (result as { manifest: Manifest }).manifest;
    for (const role of Object.keys(manifest.graphs)) {
      const batches = (parity[role] ?? []).map((c) => Object.values(c.inputs)[0]!.shape[0]!);
      expect(batches, `${folder} ${role}`).toContain(1);
      expect(Math.max(...batches), `${folder} ${role}`).toBeGreaterThan(1);
    }
  });

  for (const [role, cases] of Object.entries(parity)) {
    for (const parityCase of cases) {
      const batch = Object.values(parityCase.inputs)[0]!.shape[0];
      it(`${role} at batch ${batch} within 1e-4 relative`, async () => {
        const { manifest } = (await readManifest(dir)) as { manifest: Manifest };
        const graph = await sessions.get(manifest.id, dir, role, manifest.graphs[role]!);
        const outputs = await runGraph(graph, parityCase.inputs);
        for (const [name, expected] of Object.entries(parityCase.outputs)) {
          const actual = outputs[name]!;
          expect(actual.shape, `${role}.${name} shape`).toEqual(expected.shape);
          expect(relativeMaxError(actual.data, expected.data), `${role}.${name}`).toBeLessThan(1e-4);
        }
      });
    }
  }
});
