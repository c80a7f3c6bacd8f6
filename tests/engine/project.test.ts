import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyProject, type Project } from '../../electron/api/project';
import { float32Tensor, type Uint8Tensor } from '../../electron/api/tensor';
import { dispatchCall } from '../../electron/engine/dispatch';
import type { Engine } from '../../electron/engine/engine';
import { modelFingerprint, modelVersion } from '../../electron/engine/models/fingerprint';
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

  it('keyframes from the emoji split a model ships with and from a folder of images save and open (autosave refused them)', async () => {
    const project: Project = { ...sampleProject(), keyframes: [{ kind: 'dataset', index: 5, dataset: 'bundled-emoji-64' }, { kind: 'dataset', index: 7, dataset: 'folder-0123456789ab' }, { kind: 'dataset', index: 3 }] };
    const saved = ok<{ path: string }>(await call('project.save', { path: join(dir, 'keyframes'), project }));
    const opened = ok<{ project: Project }>(await call('project.open', { path: saved.path }));
    expect(opened.project.keyframes).toEqual(project.keyframes);
    const refused = await call('project.save', { path: join(dir, 'keyframes'), project: { ...project, keyframes: [{ kind: 'dataset', index: 1, dataset: '../elsewhere' }] } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it("the edit's undo history, a stopped inversion's curve and a branch's parent run round-trip", async () => {
    const base = sampleProject();
    const project: Project = {
      ...base,
      edit: { ...base.edit!, past: [[], [{ direction: 'Sneaker → Ankle boot', amount: 1 }]], future: [[{ direction: 'Sneaker → Ankle boot', amount: 3.5 }]] },
      inversions: [{ ...base.inversions[0]!, curve: [4, 2.5, 1.25], steps: 3, stopped: true }],
      diffusionBranches: [{ ...base.diffusionBranches[0]!, parent: { seed: 0, sampler: { kind: 'ddpm', variance: 'posterior' } } }],
    };
    const saved = ok<{ path: string }>(await call('project.save', { path: join(dir, 'history'), project }));
    const opened = ok<{ project: Project }>(await call('project.open', { path: saved.path }));
    expect({ ...opened.project, models: {} }).toEqual(project);
  });

  it('a corrupt, truncated, empty, future-version or hand-edited file gets a clear message and stays untouched', async () => {
    const good = serializeProject(sampleProject(), '0.1.0');
    const cases: [string, string, RegExp][] = [
      ['garbage.lsproj', 'PK\u0003\u0004 this is a zip, not a project', /not valid JSON.*truncated or damaged/],
      ['truncated.lsproj', good.slice(0, Math.floor(good.length / 2)), /not valid JSON/],
      ['empty.lsproj', '', /the file is empty/],
      ['future.lsproj', good.replace('"format": 3', '"format": 7'), /saved by a newer Latent Studio \(project format 7\); this version reads up to format 3/],
      ['unmigratable.lsproj', good.replace('"format": 3', '"format": 0'), /uses project format 0, which this version cannot migrate/],
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

  type Recovered = { sessions: { session: string; project?: Project; warnings?: string[]; problem?: string }[] };
  const recoveryOf = (engine: Engine, session: string, client: number) => dispatchCall(engine.handlers, 'project.recovery', { session }, callOptions([], undefined, client)).then((o) => ok<Recovered>(o).sessions);
  const autosave = (engine: Engine, session: string, client: number, project = sampleProject()) => dispatchCall(engine.handlers, 'project.autosave', { session, project }, callOptions([], undefined, client)).then(ok);

  it('autosave is offered for recovery, after the engine stops, until a clean save', async () => {
    const configDir = freshConfigDir();
    const first = await realEngine(configDir);
    await autosave(first, 'tab-a', 1);
    await first.dispose();
    const second = await realEngine(configDir);
    const [recovery, ...more] = await recoveryOf(second, 'tab-b', 1);
    expect(more).toEqual([]);
    expect(recovery).toMatchObject({ session: 'tab-a', warnings: [] });
    expect(recovery!.project?.name).toBe('Boots');
    // The recovering window saves into its own session, then the orphan is discarded.
    ok(await dispatchCall(second.handlers, 'project.discardRecovery', { session: 'tab-a' }, callOptions()));
    expect(await recoveryOf(second, 'tab-b', 1)).toEqual([]);
    await second.dispose();
  });

  it('two windows on one engine autosave apart: neither is offered the other live one, a save clears only its own, a closed one becomes recoverable', async () => {
    const configDir = freshConfigDir();
    const engine = await realEngine(configDir);
    await autosave(engine, 'tab-a', 1, { ...sampleProject(), name: 'A work' });
    expect(await recoveryOf(engine, 'tab-b', 2)).toEqual([]);
    await autosave(engine, 'tab-b', 2, { ...sampleProject(), name: 'B work' });
    expect(await recoveryOf(engine, 'tab-a', 1)).toEqual([]);
    // B cannot delete A's live autosave.
    expect(await dispatchCall(engine.handlers, 'project.discardRecovery', { session: 'tab-a' }, callOptions([], undefined, 2))).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: 'that autosave belongs to a window that is still open' },
    });
    // B saves: B's autosave goes, A's stays.
    ok(await dispatchCall(engine.handlers, 'project.save', { path: join(dir, 'b.lsproj'), project: sampleProject(), session: 'tab-b' }, callOptions([], undefined, 2)));
    expect(existsSync(join(configDir, 'autosaves', 'tab-b.lsproj'))).toBe(false);
    expect(existsSync(join(configDir, 'autosaves', 'tab-a.lsproj'))).toBe(true);
    // A's connection closes without a save: a third window is offered A's work, and only A's.
    engine.disconnected(1);
    const offered = await recoveryOf(engine, 'tab-c', 3);
    expect(offered.map((r) => [r.session, r.project?.name])).toEqual([['tab-a', 'A work']]);
    await engine.dispose();
  });

  it("another process's live session is not offered while its lock is fresh and its process runs; a dead process's is", async () => {
    const configDir = freshConfigDir();
    const engine = await realEngine(configDir);
    await autosave(engine, 'other', 1);
    engine.disconnected(1);
    // Pretend another running process (the test runner's parent) holds the session.
    writeFileSync(join(configDir, 'autosaves', 'other.lock'), JSON.stringify({ pid: process.ppid }));
    expect(await recoveryOf(engine, 'me', 2)).toEqual([]);
    // A pid that is not running: its owner crashed.
    writeFileSync(join(configDir, 'autosaves', 'other.lock'), JSON.stringify({ pid: 2 ** 22 + 12345 }));
    expect((await recoveryOf(engine, 'me', 2)).map((r) => r.session)).toEqual(['other']);
    await engine.dispose();
  });

  it('the single autosave of an earlier version is offered once as a session of its own; an unreadable one says why', async () => {
    const configDir = freshConfigDir();
    writeFileSync(join(configDir, 'autosave.lsproj'), serializeProject(sampleProject(), '0.1.0'));
    const engine = await realEngine(configDir);
    writeFileSync(join(configDir, 'autosaves', 'broken.lsproj'), '{"magic": "latent');
    const offered = await recoveryOf(engine, 'me', 1);
    expect(offered.find((r) => r.session === 'previous-version')?.project?.name).toBe('Boots');
    expect(offered.find((r) => r.session === 'broken')?.problem).toMatch(/not valid JSON/);
    expect(existsSync(join(configDir, 'autosave.lsproj'))).toBe(false);
    // Session ids name files: anything but letters, digits and dashes is refused at the boundary.
    expect(await dispatchCall(engine.handlers, 'project.autosave', { session: '../evil', project: sampleProject() }, callOptions())).toMatchObject({ ok: false, error: { field: 'args.session' } });
    await engine.dispose();
  });

  it('a recovered autosave warns, as an opened file does, about a model that changed since it was written', async () => {
    const configDir = freshConfigDir();
    const first = await realEngine(configDir);
    await autosave(first, 'tab-a', 1);
    await first.dispose();
    const file = join(configDir, 'autosaves', 'tab-a.lsproj');
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    stored.project.models['fmnist-vae'].sha256 = '0'.repeat(64);
    writeFileSync(file, JSON.stringify(stored));
    const second = await realEngine(configDir);
    const [recovery] = await recoveryOf(second, 'tab-b', 1);
    expect(recovery!.project?.name).toBe('Boots');
    expect(recovery!.warnings).toEqual(['Model "fmnist-vae" has changed since this project was saved: its codes may decode to different images.']);
    await second.dispose();
  });

  it('a format 1 file (from before model fingerprints) is migrated on open, untouched on disk until saved as format 3', async () => {
    const path = join(dir, 'old.lsproj');
    copyFileSync(join(repoRoot, 'tests/fixtures/projects/format-1.lsproj'), path);
    const before = digest(path);
    const opened = ok<{ project: Project; migratedFrom?: number; warnings: string[] }>(await call('project.open', { path }));
    expect(opened.migratedFrom).toBe(1);
    expect(opened.warnings).toEqual([]);
    expect(opened.project).toEqual({ ...sampleProject(), name: 'Boots (format 1)', models: {} });
    expect(digest(path)).toBe(before);

    ok(await call('project.save', { path, project: opened.project }));
    expect(JSON.parse(readFileSync(path, 'utf8')).project.format).toBe(3);
    const reopened = ok<{ project: Project; migratedFrom?: number }>(await call('project.open', { path }));
    expect(reopened.migratedFrom).toBeUndefined();
    expect(Object.keys(reopened.project.models)).toEqual(['fmnist-dcgan', 'fmnist-ddpm-latent', 'fmnist-vae']);
  });

  it('images kept as 8-bit planes round-trip exactly in a quarter of the bytes; a format 2 file with float images still opens', async () => {
    // A 256 px colour picture read from a file: every value is k / 255.
    const bytes = Uint8Array.from({ length: 3 * 256 * 256 }, (_, i) => (i * 7 + (i >> 9)) % 256);
    const image: Uint8Tensor = { dtype: 'uint8', shape: [1, 3, 256, 256], data: bytes };
    const floats = float32Tensor([1, 3, 256, 256], Float32Array.from(bytes, (v) => v / 255));
    const base = sampleProject();
    const asBytes: Project = { ...base, imported: [{ ...base.imported[0]!, image }], edit: { ...base.edit!, base: { ...base.edit!.base, image } }, inversions: [{ ...base.inversions[0]!, target: image }] };
    const asFloats: Project = { ...base, imported: [{ ...base.imported[0]!, image: floats }], edit: { ...base.edit!, base: { ...base.edit!.base, image: floats } }, inversions: [{ ...base.inversions[0]!, target: floats }] };
    const saved = ok<{ path: string }>(await call('project.save', { path: join(dir, 'bytes'), project: asBytes }));
    const opened = ok<{ project: Project; migratedFrom?: number }>(await call('project.open', { path: saved.path }));
    expect({ ...opened.project, models: {} }).toEqual(asBytes);
    expect(opened.migratedFrom).toBeUndefined();
    const floatFile = serializeProject(asFloats, '0.1.0');
    const byteFile = readFileSync(saved.path, 'utf8');
    expect(byteFile.length).toBeLessThan(floatFile.length / 3.5);

    // As the previous version wrote it: format 2, float32 images. It opens as it was, and says it was upgraded.
    const old = join(dir, 'format-2.lsproj');
    writeFileSync(old, floatFile.replace('"format": 3', '"format": 2'));
    const migrated = ok<{ project: Project; migratedFrom?: number }>(await call('project.open', { path: old }));
    expect(migrated.migratedFrom).toBe(2);
    expect({ ...migrated.project, models: {} }).toEqual(asFloats);

    // 8-bit bytes that do not fill the shape are refused like float ones.
    const short = byteFile.replace(/"u8": "[^"]+"/, `"u8": "${Buffer.from(new Uint8Array(10)).toString('base64')}"`);
    expect(() => parseProject(short, 'short.lsproj')).toThrow(/short\.lsproj is damaged: a stored tensor does not match its shape/);
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

  /** A copy of the bundled autoencoder in a folder of its own, read as the library reads it, and its manifest renamed. */
  function copiedModel() {
    const folder = mkdtempSync(join(tmpdir(), 'model-copy-'));
    cpSync(join(repoRoot, 'models/fmnist-ae'), folder, { recursive: true });
    const read = async () => {
      const result = await readManifest(folder);
      if (!('manifest' in result)) throw new Error('manifest');
      return { manifest: result.manifest, folder, source: 'user' as const };
    };
    const rename = () => {
      const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
      writeFileSync(join(folder, 'manifest.json'), JSON.stringify({ ...manifest, name: 'Renamed', metrics: { note: 1 } }));
    };
    return { folder, read, rename };
  }

  it('a model’s fingerprint follows its graph bytes, not its name or metrics', async () => {
    const { folder, read, rename } = copiedModel();
    const load = async () => modelFingerprint(await read());
    const first = await load();
    rename();
    expect(await load()).toBe(first);
    const graph = readFileSync(join(folder, 'decoder.onnx'));
    graph.writeUInt8(graph.readUInt8(graph.length - 1) ^ 1, graph.length - 1);
    writeFileSync(join(folder, 'decoder.onnx'), graph);
    expect(await load()).not.toBe(first);
  });

  it("a model's version for this process follows its graphs' files without reading them, and not its name or metrics", async () => {
    const { folder, read, rename } = copiedModel();
    const version = async () => modelVersion(await read());
    // Whole seconds, so the time can be set back exactly below.
    const decoder = join(folder, 'decoder.onnx');
    const time = 1_700_000_000;
    utimesSync(decoder, time, time);
    const first = await version();
    rename();
    expect(await version()).toBe(first);
    // Its bytes are never read: a graph replaced by zeros of the same size and time reads as the same version. A graph
    // written again (a new modification time) is a new version.
    writeFileSync(decoder, Buffer.alloc(statSync(decoder).size));
    utimesSync(decoder, time, time);
    expect(await version()).toBe(first);
    utimesSync(decoder, time, time + 5);
    expect(await version()).not.toBe(first);
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
