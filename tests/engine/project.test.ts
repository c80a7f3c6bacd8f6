import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyProject, type Project } from '../../electron/api/project';
import { float32Tensor } from '../../electron/api/tensor';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { modelFingerprint } from '../../electron/engine/models/fingerprint';
import { readManifest } from '../../electron/engine/models/registry';
import { parseProject, serializeProject } from '../../electron/engine/project/projectFile';
import { callOptions, freshConfigDir, ok, realEngine, repoRoot } from '../helpers/engine';

const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function sampleProject(): Project {
  const code = float32Tensor([16], Float32Array.from({ length: 16 }, (_, i) => Math.sin(i) * 1.7));
  return {
    ...emptyProject('Boots'),
    explorer: { model: 'fmnist-vae', axes: [0, 2, 1], selection: [3, 9], hiddenClasses: [4] },
    imported: [{ id: 'a', name: 'boot.png', model: 'fmnist-vae', code, image: float32Tensor([1, 1, 28, 28], new Float32Array(784).fill(0.25)) }],
    keyframes: [{ kind: 'dataset', index: 3 }, { kind: 'imported', id: 'a' }],
    directions: [{ name: 'Sneaker → Ankle boot', model: 'fmnist-vae', kind: 'mean-difference', note: 'mean of 1000 − mean of 1000', vector: code }],
    edit: { base: { model: 'fmnist-vae', code, label: 'dataset #9 · Sneaker' }, stack: [{ direction: 'Sneaker → Ankle boot', amount: 2.5 }] },
    inversions: [{ id: 'i1', model: 'fmnist-dcgan', label: 'dataset #1', z: float32Tensor([1, 64], new Float32Array(64).fill(0.1)), psnr: 18.2, ssim: 0.71, target: float32Tensor([1, 1, 28, 28], new Float32Array(784)) }],
    diffusionBranches: [{ label: 'DDIM 50', model: 'fmnist-ddpm-latent', sampler: { kind: 'ddim', eta: 0 }, steps: 50, seed: 4, batch: 4, branchedAtStep: 25 }],
  };
}

describe('project files', () => {
  let engine: Engine;
  const dir = mkdtempSync(join(tmpdir(), 'projects-'));
  const call = (name: string, args: unknown) => dispatchCall(engine.handlers, name, args, callOptions());
  beforeAll(async () => {
    engine = await realEngine();
  });
  afterAll(() => engine.dispose());

  it('save then open restores every part exactly, and remembers the file among recent projects', async () => {
    const project = sampleProject();
    const saved = ok<{ path: string }>(await call('project.save', { path: join(dir, 'boots'), project }));
    expect(saved.path).toBe(join(dir, 'boots.lsproj'));
    const opened = ok<{ project: Project; warnings: string[] }>(await call('project.open', { path: saved.path }));
    expect({ ...opened.project, models: {} }).toEqual(project);
    // Each model the project's codes belong to is stamped with its fingerprint.
    expect(Object.keys(opened.project.models)).toEqual(['fmnist-dcgan', 'fmnist-ddpm-latent', 'fmnist-vae']);
    for (const stamp of Object.values(opened.project.models)) expect(stamp.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(opened.warnings).toEqual([]);
    const { projects } = ok<{ projects: { path: string; exists: boolean }[] }>(await call('project.recent', {}));
    expect(projects[0]).toEqual({ path: saved.path, exists: true });
  });

  it('a corrupt, truncated, empty, future-version or hand-edited file gets a clear message and stays untouched', async () => {
    const good = serializeProject(sampleProject(), '0.1.0');
    const cases: [string, string, RegExp][] = [
      ['garbage.lsproj', 'PK\u0003\u0004 this is a zip, not a project', /not valid JSON.*truncated or damaged/],
      ['truncated.lsproj', good.slice(0, Math.floor(good.length / 2)), /not valid JSON/],
      ['empty.lsproj', '', /the file is empty/],
      ['future.lsproj', good.replace('"format": 2', '"format": 7'), /saved by a newer Latent Studio \(project format 7\); this version reads up to format 2/],
      ['unmigratable.lsproj', good.replace('"format": 2', '"format": 0'), /uses project format 0, which this version cannot migrate/],
      ['bad-stamp.lsproj', good.replace('"models": {}', '"models": {"fmnist-vae": {"sha256": "abc"}}'), /problem at project\.models\.fmnist-vae\.sha256: a SHA-256 in hex/],
      ['edited.lsproj', good.replace('"amount": 2.5', '"amount": "lots"'), /problem at project\.edit\.stack\.0\.amount/],
      ['foreign.lsproj', JSON.stringify({ hello: 'world' }), /not a Latent Studio project/],
      ['nan.lsproj', good.replace(/"f32": "[^"]+"/, `"f32": "${Buffer.from(new Float32Array(16).fill(NaN).buffer).toString('base64')}"`), /problem at project\.imported\.0\.code\.data: values must be finite numbers \(no NaN or Infinity\)/],
    ];
    for (const [name, content, message] of cases) {
      const path = join(dir, name);
      writeFileSync(path, content);
      const before = digest(path);
      const outcome = await call('project.open', { path });
      expect(outcome.ok, name).toBe(false);
      expect((outcome as { error: { message: string } }).error.message, name).toMatch(message);
      expect(digest(path), name).toBe(before);
    }
    expect(await call('project.open', { path: join(dir, 'missing.lsproj') })).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });

  it('autosave is offered for recovery until a clean save', async () => {
    const configDir = freshConfigDir();
    const first = await realEngine(configDir);
    ok(await dispatchCall(first.handlers, 'project.autosave', { project: sampleProject() }, callOptions()));
    await first.dispose();
    const second = await realEngine(configDir);
    const recovery = ok<{ project?: Project; warnings?: string[] }>(await dispatchCall(second.handlers, 'project.recovery', {}, callOptions()));
    expect(recovery.project?.name).toBe('Boots');
    expect(recovery.warnings).toEqual([]);
    ok(await dispatchCall(second.handlers, 'project.save', { path: join(dir, 'clean.lsproj'), project: sampleProject() }, callOptions()));
    expect(ok<{ project?: Project }>(await dispatchCall(second.handlers, 'project.recovery', {}, callOptions())).project).toBeUndefined();
    await second.dispose();
  });

  it('a recovered autosave warns, as an opened file does, about a model that changed since it was written', async () => {
    const configDir = freshConfigDir();
    const first = await realEngine(configDir);
    ok(await dispatchCall(first.handlers, 'project.autosave', { project: sampleProject() }, callOptions()));
    await first.dispose();
    const autosave = join(configDir, 'autosave.lsproj');
    const stored = JSON.parse(readFileSync(autosave, 'utf8'));
    stored.project.models['fmnist-vae'].sha256 = '0'.repeat(64);
    writeFileSync(autosave, JSON.stringify(stored));
    const second = await realEngine(configDir);
    const recovery = ok<{ project?: Project; warnings?: string[] }>(await dispatchCall(second.handlers, 'project.recovery', {}, callOptions()));
    expect(recovery.project?.name).toBe('Boots');
    expect(recovery.warnings).toEqual(['Model "fmnist-vae" has changed since this project was saved: its codes may decode to different images.']);
    await second.dispose();
  });

  it('a format 1 file (from before model fingerprints) is migrated on open, untouched on disk until saved as format 2', async () => {
    const path = join(dir, 'old.lsproj');
    copyFileSync(join(repoRoot, 'tests/fixtures/projects/format-1.lsproj'), path);
    const before = digest(path);
    const opened = ok<{ project: Project; migratedFrom?: number; warnings: string[] }>(await call('project.open', { path }));
    expect(opened.migratedFrom).toBe(1);
    expect(opened.warnings).toEqual([]);
    expect(opened.project).toEqual({ ...sampleProject(), name: 'Boots (format 1)', models: {} });
    expect(digest(path)).toBe(before);

    ok(await call('project.save', { path, project: opened.project }));
    expect(JSON.parse(readFileSync(path, 'utf8')).project.format).toBe(2);
    const reopened = ok<{ project: Project; migratedFrom?: number }>(await call('project.open', { path }));
    expect(reopened.migratedFrom).toBeUndefined();
    expect(Object.keys(reopened.project.models)).toEqual(['fmnist-dcgan', 'fmnist-ddpm-latent', 'fmnist-vae']);
  });

  it('warns when a model has changed since the save or is not installed, and keeps the missing model’s stamp on save', async () => {
    const project: Project = {
      ...sampleProject(),
      directions: [...sampleProject().directions, { name: 'Elsewhere', model: 'fmnist-elsewhere', kind: 'imported', note: '', vector: float32Tensor([4], new Float32Array(4)) }],
    };
    const path = join(dir, 'stamped.lsproj');
    ok(await call('project.save', { path, project }));
    const stored = JSON.parse(readFileSync(path, 'utf8'));
    expect(Object.keys(stored.project.models)).toEqual(['fmnist-dcgan', 'fmnist-ddpm-latent', 'fmnist-vae']);
    stored.project.models['fmnist-vae'].sha256 = '0'.repeat(64);
    stored.project.models['fmnist-elsewhere'] = { sha256: 'e'.repeat(64) };
    writeFileSync(path, JSON.stringify(stored));
    const opened = ok<{ project: Project; warnings: string[] }>(await call('project.open', { path }));
    expect(opened.warnings).toEqual([
      'Model "fmnist-elsewhere" is not installed: its parts of the project are kept but cannot be shown until it is added.',
      'Model "fmnist-vae" has changed since this project was saved: its codes may decode to different images.',
    ]);
    ok(await call('project.save', { path, project: opened.project }));
    const resaved = JSON.parse(readFileSync(path, 'utf8')).project.models;
    expect(resaved['fmnist-elsewhere']).toEqual({ sha256: 'e'.repeat(64) });
    expect(resaved['fmnist-vae'].sha256).not.toBe('0'.repeat(64));
  });

  it('a model’s fingerprint follows its graph bytes, not its name or metrics', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'fingerprint-'));
    cpSync(join(repoRoot, 'models/fmnist-ae'), folder, { recursive: true });
    const load = async () => {
      const result = await readManifest(folder);
      if (!('manifest' in result)) throw new Error('manifest');
      return modelFingerprint({ manifest: result.manifest, folder, source: 'user' });
    };
    const first = await load();
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify({ ...manifest, name: 'Renamed', metrics: { note: 1 } }));
    expect(await load()).toBe(first);
    const graph = readFileSync(join(folder, 'decoder.onnx'));
    graph.writeUInt8(graph.readUInt8(graph.length - 1) ^ 1, graph.length - 1);
    writeFileSync(join(folder, 'decoder.onnx'), graph);
    expect(await load()).not.toBe(first);
  });

  it('parses what it serializes', () => {
    const project = sampleProject();
    expect(parseProject(serializeProject(project, 'test'), 'x').project).toEqual(project);
  });
});

describe('atomic saves', () => {
  it('a kill -9 at 100 random moments during saves leaves the old or the new file whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const source = readFileSync(join(repoRoot, 'electron/engine/atomicWrite.ts'), 'utf8');
    writeFileSync(join(dir, 'atomicWrite.mjs'), ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);
    // The child saves two large versions alternately, forever, until it is killed.
    writeFileSync(
      join(dir, 'writer.mjs'),
      `import { writeFileAtomic } from './atomicWrite.mjs';
       const a = 'A'.repeat(2_000_000), b = 'B'.repeat(2_000_000);
       process.stdout.write('ready\\n');
       for (let i = 0; ; i++) await writeFileAtomic(process.argv[2], i % 2 ? b : a);`,
    );
    const target = join(dir, 'project.lsproj');
    writeFileSync(target, 'A'.repeat(2_000_000));
    const seen = new Set<string>();
    for (let round = 0; round < 100; round++) {
      const child = spawn(process.execPath, [join(dir, 'writer.mjs'), target], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 60));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const content = readFileSync(target, 'latin1');
      expect(content.length, `round ${round}`).toBe(2_000_000);
      expect(content === 'A'.repeat(2_000_000) || content === 'B'.repeat(2_000_000), `round ${round}`).toBe(true);
      seen.add(content[0]!);
    }
    expect(existsSync(target)).toBe(true);
    expect(seen.size).toBe(2);
  }, 120_000);
});
