import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../electron/api/errors';
import { ManifestSchema } from '../../electron/engine/models/manifest';
import { loadModelFolders, readManifest } from '../../electron/engine/models/registry';
import { SessionCache } from '../../electron/engine/runtime/sessions';
import { paths } from '../helpers/engine';

const classifierDir = join(paths.models, 'fmnist-classifier');
const classifierManifest = () => JSON.parse(readFileSync(join(classifierDir, 'manifest.json'), 'utf8'));

/** A model library in a temporary folder: one good model beside several broken ones. */
function libraryWith(broken: Record<string, (manifest: Record<string, any>) => unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'models-'));
  for (const [name, edit] of Object.entries({ good: (m: Record<string, any>) => m, ...broken })) {
    const dir = join(root, name);
    mkdirSync(dir);
    copyFileSync(join(classifierDir, 'classifier.onnx'), join(dir, 'classifier.onnx'));
    const manifest = { ...classifierManifest(), id: `fixture-${name}` };
    const edited = edit(manifest);
    writeFileSync(join(dir, 'manifest.json'), typeof edited === 'string' ? edited : JSON.stringify(edited));
  }
  return root;
}

const sessions = new SessionCache({ providers: ['cpu'] });
afterAll(() => sessions.releaseAll());

describe('manifests', () => {
  it('every bundled manifest validates', async () => {
    const library = await loadModelFolders(paths.models, 'bundled');
    expect(library.problems).toEqual([]);
    expect(library.models.length).toBeGreaterThanOrEqual(6);
    for (const model of library.models) expect(ManifestSchema.safeParse(model.manifest).success).toBe(true);
  });

  it('a broken manifest is rejected with the field named, and the rest still load', async () => {
    const root = libraryWith({
      'bad-kind': (m) => ({ ...m, kind: 'transformer' }),
      'bad-range': (m) => ({ ...m, image: { ...m.image, range: [1, 0] } }),
      'missing-graph': (m) => ({ ...m, graphs: {} }),
      'missing-file': (m) => ({ ...m, graphs: { classifier: { ...m.graphs.classifier, file: 'gone.onnx' } } }),
      'not-json': () => '{ "format": 1, ',
      'typo-key': (m) => ({ ...m, lables: m.labels }),
    });
    const library = await loadModelFolders(root, 'user');
    expect(library.models.map((m) => m.manifest.id)).toEqual(['fixture-good']);
    const fieldOf = (name: string) => library.problems.find((p) => p.folder.endsWith(name))?.field;
    expect(fieldOf('bad-kind')).toBe('kind');
    expect(fieldOf('bad-range')).toBe('image.range');
    expect(fieldOf('missing-graph')).toBe('graphs.classifier');
    expect(fieldOf('missing-file')).toBe('graphs.classifier.file');
    expect(fieldOf('not-json')).toBe('manifest.json');
    expect(fieldOf('typo-key')).toBe('lables');
  });

  it('a manifest whose shapes disagree with its ONNX graph is refused when the graph loads, naming the tensor', async () => {
    const root = libraryWith({ 'wrong-shape': (m) => ({ ...m, graphs: { classifier: { ...m.graphs.classifier, outputs: [{ name: 'logits', shape: ['batch', 11], dtype: 'float32' }] } } }) });
    const result = await readManifest(join(root, 'wrong-shape'));
    const manifest = (result as { manifest: { id: string; graphs: Record<string, any> } }).manifest;
    const error = await sessions.get(manifest.id, join(root, 'wrong-shape'), 'classifier', manifest.graphs.classifier).catch((e) => e);
    expect(error, String(error?.message)).toBeInstanceOf(ApiError);
    expect(error.field).toBe('graphs.outputs.logits.shape');
    expect(error.message).toMatch(/"logits" is \[batch, 10\] in the graph but \[batch, 11\] in the manifest/);
  });

  it('a conditional denoiser naming a class input its graph lacks, or a dtype its graph disagrees with, is refused with the field named', async () => {
    const folder = join(paths.root, 'tests', 'fixtures', 'models', 'cond-denoiser-tiny');
    const base = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
    const wrongInput = ManifestSchema.safeParse({ ...base, diffusion: { ...base.diffusion, conditioning: { ...base.diffusion.conditioning, input: 'class' } } });
    expect(wrongInput.success).toBe(false);
    expect(wrongInput.error!.issues[0]).toMatchObject({ path: ['diffusion', 'conditioning', 'input'], message: 'the denoiser has no input "class"' });
    const badNull = ManifestSchema.safeParse({ ...base, diffusion: { ...base.diffusion, conditioning: { ...base.diffusion.conditioning, nullLabel: 9 } } });
    expect(badNull.error!.issues[0]!.path).toEqual(['diffusion', 'conditioning', 'nullLabel']);
    const asFloat = ManifestSchema.parse({ ...base, graphs: { denoiser: { ...base.graphs.denoiser, inputs: base.graphs.denoiser.inputs.map((i: { name: string }) => ({ ...i, dtype: 'float32' })) } } });
    const error = await sessions.get(asFloat.id, folder, 'denoiser', asFloat.graphs.denoiser!).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toBe('cond-denoiser-tiny denoiser: "t" is int64 in the graph but float32 in the manifest');
    expect(error.field).toBe('graphs.inputs.t.dtype');
  });
});
