import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../electron/api/errors';
import { ManifestSchema } from '../../electron/engine/models/manifest';
import { loadModelFolders, readManifest } from '../../electron/engine/models/registry';
import { SessionCache } from '../../electron/engine/runtime/sessions';
import { ModelHost } from '../../electron/engine/models/host';
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

  it("a library's order.json lists its named folders first, in that order, then the rest alphabetically; a malformed one is named and ignored", async () => {
    const root = libraryWith({ alpha: (m) => m, beta: (m) => m, gamma: (m) => m });
    writeFileSync(join(root, 'order.json'), JSON.stringify(['gamma', 'good', 'missing']));
    const ids = async () => (await loadModelFolders(root, 'user')).models.map((m) => m.manifest.id);
    expect(await ids()).toEqual(['fixture-gamma', 'fixture-good', 'fixture-alpha', 'fixture-beta']);
    writeFileSync(join(root, 'order.json'), '{"gamma": 1}');
    const library = await loadModelFolders(root, 'user');
    expect(library.models.map((m) => m.manifest.id)).toEqual(['fixture-alpha', 'fixture-beta', 'fixture-gamma', 'fixture-good']);
    expect(library.problems).toEqual([{ folder: root, field: 'order.json', message: 'order.json must be a JSON array of model folder names; the folders are listed alphabetically' }]);
    // The bundled library starts with Fashion-MNIST's models, the first demo, and the emoji models follow.
    const bundled = (await loadModelFolders(paths.models, 'bundled')).models.map((m) => m.manifest.id);
    expect(bundled.indexOf('fmnist-vae')).toBeLessThan(bundled.indexOf('emoji-vae'));
  });

  it('a broken manifest is rejected with the field named, and the rest still load', async () => {
    const root = libraryWith({
      'bad-kind': (m) => ({ ...m, kind: 'transformer' }),
      'bad-range': (m) => ({ ...m, image: { ...m.image, range: [1, 0] } }),
      'missing-graph': (m) => ({ ...m, graphs: {} }),
      'missing-file': (m) => ({ ...m, graphs: { classifier: { ...m.graphs.classifier, file: 'gone.onnx' } } }),
      'not-json': () => '{ "format": 1, ',
      'typo-key': (m) => ({ ...m, lables: m.labels }),
      'typo-keys': (m) => ({ ...m, lables: m.labels, image: { ...m.image, chanels: 1 }, descripton: 'x' }),
      'empty-graph': (m) => ({ ...m, graphs: { classifier: { ...m.graphs.classifier, file: 'empty.onnx' } } }),
    });
    writeFileSync(join(root, 'empty-graph', 'empty.onnx'), '');
    const library = await loadModelFolders(root, 'user');
    expect(library.models.map((m) => m.manifest.id)).toEqual(['fixture-good']);
    const fieldOf = (name: string) => library.problems.find((p) => p.folder.endsWith(name))?.field;
    expect(fieldOf('bad-kind')).toBe('kind');
    expect(fieldOf('bad-range')).toBe('image.range');
    expect(fieldOf('missing-graph')).toBe('graphs.classifier');
    expect(fieldOf('missing-file')).toBe('graphs.classifier.file');
    expect(fieldOf('not-json')).toBe('manifest.json');
    expect(fieldOf('typo-key')).toBe('lables');
    const messageOf = (name: string) => library.problems.find((p) => p.folder.endsWith(name))?.message;
    // Every unknown field is named, at any depth, not only the first.
    expect(messageOf('typo-keys')).toBe('unknown fields "image.chanels", "lables", "descripton": check the spelling against docs/MODELS.md');
    expect(messageOf('empty-graph')).toBe('graph file empty.onnx is empty (0 bytes): export the model again');
  });

  it('a truncated or foreign .onnx file is named in words, not in ONNX Runtime’s', async () => {
    const root = libraryWith({ truncated: (m) => m });
    const folder = join(root, 'truncated');
    writeFileSync(join(folder, 'classifier.onnx'), readFileSync(join(classifierDir, 'classifier.onnx')).subarray(0, 4096));
    const { manifest } = (await readManifest(folder)) as { manifest: { id: string; graphs: Record<string, any> } };
    const error = await sessions.get(manifest.id, folder, 'classifier', manifest.graphs.classifier).catch((e) => e);
    expect(error.message).toBe('fixture-truncated classifier: classifier.onnx is not a complete ONNX model (it may be truncated, or another kind of file): export it again');
    expect(error.field).toBe('graphs.classifier.file');
  });

  it('a latent diffusion naming a missing decoder, or one of another latent shape, is reported on its card when the library loads', async () => {
    const root = mkdtempSync(join(tmpdir(), 'models-'));
    const source = join(paths.models, 'fmnist-ddpm-latent');
    const variant = (name: string, edit: (m: Record<string, any>) => Record<string, any>) => {
      const dir = join(root, name);
      mkdirSync(dir);
      for (const file of ['manifest.json', ...Object.values(JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8')).graphs).map((g: any) => g.file)]) copyFileSync(join(source, file), join(dir, file));
      const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(edit({ ...m, id: `ldm-${name}` })));
    };
    variant('no-decoder', (m) => ({ ...m, diffusion: { ...m.diffusion, decoder: 'my-vae' } }));
    variant('classifier-decoder', (m) => ({ ...m, diffusion: { ...m.diffusion, decoder: 'fmnist-classifier' } }));
    variant('other-shape', (m) => ({ ...m, latent: { ...m.latent, shape: [4, 8, 8] } }));
    const host = new ModelHost({ providers: ['cpu'] });
    await host.loadFolders([{ path: paths.models, source: 'bundled' }, { path: root, source: 'user' }]);
    const { models, problems } = host.list();
    expect(models.map((m) => m.id)).toContain('fmnist-ddpm-latent');
    expect(models.map((m) => m.id).filter((id) => id.startsWith('ldm-'))).toEqual([]);
    const messageOf = (name: string) => problems.find((p) => p.folder.endsWith(name));
    expect(messageOf('no-decoder')).toMatchObject({ field: 'diffusion.decoder', message: 'diffusion.decoder: this latent diffusion model decodes with "my-vae", which is not in the library; add that model\'s folder too' });
    expect(messageOf('classifier-decoder')?.message).toBe('diffusion.decoder: "fmnist-classifier" is a classifier model and cannot decode latent codes');
    expect(messageOf('other-shape')?.message).toBe('diffusion.decoder: this model\'s latents are [4, 8, 8] but "fmnist-vae" decodes [16]');
    await host.dispose();
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

  it('format 1 is migrated to format 2 in memory (the latent scale and shift move to latent); each format refuses the other\'s place for them', () => {
    const folder = join(paths.root, 'tests', 'fixtures', 'models', 'ldm-spatial-tiny');
    const v1 = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
    expect(v1.format).toBe(1);
    const migrated = ManifestSchema.parse({ ...v1, diffusion: { ...v1.diffusion, latentShift: 0.25 } });
    expect(migrated.format).toBe(2);
    expect(migrated.latent).toEqual({ ...v1.latent, scale: 0.18215, shift: 0.25 });
    expect(migrated.diffusion).not.toHaveProperty('latentScale');
    expect(migrated.diffusion).not.toHaveProperty('latentShift');
    // The migrated manifest is a valid format 2 manifest, and reads the same again.
    expect(ManifestSchema.parse(migrated)).toEqual(migrated);

    const v2 = { ...v1, format: 2, latent: { ...v1.latent, scale: 0.18215 }, diffusion: { ...v1.diffusion, latentScale: undefined } };
    expect(ManifestSchema.parse(v2).latent!.scale).toBe(0.18215);
    const mixed = ManifestSchema.safeParse({ ...v1, format: 2 });
    expect(mixed.error!.issues[0]).toMatchObject({ path: ['diffusion', 'latentScale'], message: 'format 2 states this as latent.scale' });
    const early = ManifestSchema.safeParse({ ...v1, latent: { ...v1.latent, scale: 2 } });
    expect(early.error!.issues[0]).toMatchObject({ path: ['latent', 'scale'], message: expect.stringMatching(/latent.scale is format 2/) });
    expect(ManifestSchema.safeParse({ ...v1, format: 3 }).error!.issues[0]!.path).toEqual(['format']);
  });

  it("a diffusers scheduler_config.json beside the graph fills the schedule, prediction and spacing; a disagreement with the manifest is named", async () => {
    const root = mkdtempSync(join(tmpdir(), 'models-'));
    const source = join(paths.root, 'tests', 'fixtures', 'models', 'cond-denoiser-tiny');
    const original = JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8'));
    const config = { _class_name: 'DDIMScheduler', beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 1000, prediction_type: 'v_prediction', timestep_spacing: 'trailing', clip_sample: false };
    const variant = (name: string, diffusion: Record<string, unknown>, schedulerConfig: Record<string, unknown>) => {
      const dir = join(root, name);
      mkdirSync(dir);
      copyFileSync(join(source, 'denoiser.onnx'), join(dir, 'denoiser.onnx'));
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...original, id: name, diffusion }));
      writeFileSync(join(dir, 'scheduler_config.json'), JSON.stringify(schedulerConfig));
      return dir;
    };
    const { prediction: _p, schedule: _s, spacing: _sp, ...rest } = original.diffusion;
    const filled = (await readManifest(variant('from-config', rest, config))) as { manifest: { diffusion: Record<string, unknown> } };
    const expected = ManifestSchema.parse(original).diffusion!;
    expect(filled.manifest.diffusion).toEqual(expected);
    const conflict = await readManifest(variant('conflict', { ...original.diffusion, prediction: 'epsilon' }, config));
    expect(conflict).toEqual({ problem: { folder: join(root, 'conflict'), field: 'diffusion.prediction', message: 'diffusion.prediction: the manifest says "epsilon" but scheduler_config.json says "v"; keep one' } });
    const same = await readManifest(variant('same', original.diffusion, config));
    expect('manifest' in same).toBe(true);
    // A config that names no spacing means diffusers' default, leading.
    const { timestep_spacing: _t, ...unspaced } = config;
    const leading = (await readManifest(variant('unspaced', rest, unspaced))) as { manifest: { diffusion: { spacing: string } } };
    expect(leading.manifest.diffusion.spacing).toBe('leading');
    const unknown = await readManifest(variant('unknown', rest, { ...config, beta_schedule: 'sigmoid' }));
    expect((unknown as { problem: { message: string } }).problem.message).toMatch(/beta_schedule "sigmoid" is not one Latent Studio knows/);
  });
});
