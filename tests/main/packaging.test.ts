import { listPackage } from '@electron/asar';
import { getCurrentFuseWire } from '@electron/fuses';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appPaths } from '../../electron/engine/paths';

// electron-builder, run for real on electron-builder.yml: its schema validates the whole file
// (Linux, Windows and macOS sections alike), then it packs the Linux app, unpacks native files
// and flips the fuses. The one stand-in is the Electron binary, which cannot be downloaded here:
// a file carrying the fuse wire exactly as Electron's binary does, so @electron/fuses really flips it.
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's shipped fuse states, in @electron/fuses' V1 order. */
const STOCK_FUSES = '10110001';
const FUSE_NAMES = [
  'RunAsNode',
  'EnableCookieEncryption',
  'EnableNodeOptionsEnvironmentVariable',
  'EnableNodeCliInspectArguments',
  'EnableEmbeddedAsarIntegrityValidation',
  'OnlyLoadAppFromAsar',
  'LoadBrowserProcessSpecificV8Snapshot',
  'GrantFileProtocolExtraPrivileges',
];
const NATIVE = /\.(node|so(\.\d+)*|dll|dylib)$/;

const work = mkdtempSync(join(tmpdir(), 'latent-package-'));
const appDir = join(work, 'release', 'linux-unpacked');
const asarPath = join(appDir, 'resources', 'app.asar');
let builder: { status: number | null; output: string };

beforeAll(() => {
  if (!existsSync('out/main/index.js')) spawnSync('node_modules/.bin/electron-vite', ['build', '--logLevel', 'warn'], { stdio: 'inherit' });
  const dist = join(work, 'electron-dist');
  spawnSync('mkdir', ['-p', dist]);
  writeFileSync(join(dist, 'electron'), Buffer.concat([Buffer.from(SENTINEL), Buffer.from([1, STOCK_FUSES.length]), Buffer.from(STOCK_FUSES)]), { mode: 0o755 });
  writeFileSync(join(dist, 'LICENSE'), '');
  const electronVersion = JSON.parse(readFileSync('node_modules/electron/package.json', 'utf8')).version;
  const result = spawnSync(
    'node_modules/.bin/electron-builder',
    ['--linux', 'dir', `--${process.arch}`, `-c.electronDist=${dist}`, `-c.electronVersion=${electronVersion}`, '-c.npmRebuild=false', `-c.directories.output=${join(work, 'release')}`],
    { encoding: 'utf8', env: { ...process.env, CI: 'true' } },
  );
  builder = { status: result.status, output: result.stdout + result.stderr };
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.runIf(process.platform === 'linux')('electron-builder.yml (packs the Linux app; the check runs on Linux hosts)', () => {
  it('passes electron-builder’s validation and packs the app', () => {
    expect(builder.output).not.toMatch(/⨯|Invalid configuration/);
    expect(builder.status, builder.output).toBe(0);
    expect(existsSync(asarPath)).toBe(true);
  });

  it('flips the fuses: no run-as-node, cookie encryption on, asar integrity and asar-only loading on', async () => {
    const wire = await getCurrentFuseWire(join(appDir, 'latent-studio'));
    const states = Object.fromEntries(FUSE_NAMES.map((name, i) => [name, String.fromCharCode(wire[i as 0] as number)]));
    expect(states).toEqual({
      RunAsNode: '0',
      EnableCookieEncryption: '1',
      EnableNodeOptionsEnvironmentVariable: '0',
      EnableNodeCliInspectArguments: '0',
      EnableEmbeddedAsarIntegrityValidation: '1',
      OnlyLoadAppFromAsar: '1',
      LoadBrowserProcessSpecificV8Snapshot: '0',
      GrantFileProtocolExtraPrivileges: '0',
    });
  });

  it('packs the built app and every package its main process imports, and nothing from the source tree', () => {
    const files = new Set(listPackage(asarPath, { isPack: false }).map((f) => f.split('\\').join('/')));
    const main = JSON.parse(readFileSync('package.json', 'utf8')).main as string;
    for (const file of [`/${main}`, '/out/main/server.js', '/out/preload/index.cjs', '/out/renderer/index.html', '/package.json']) expect(files, file).toContain(file);
    for (const prefix of ['/electron/', '/renderer/', '/tests/', '/e2e/', '/models/train/', '/docs/', '/test-results/']) {
      expect([...files].filter((f) => f.startsWith(prefix)), prefix).toEqual([]);
    }
    expect([...files].filter((f) => f.endsWith('.map') && f.startsWith('/out/'))).toEqual([]);

    const built = ['out/main', 'out/main/chunks'].flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(dir, f), 'utf8')));
    const imported = new Set<string>();
    for (const code of built) {
      for (const [, spec] of code.matchAll(/(?:from |import\(|require\()["']([^"'.][^"']*)["']/g)) {
        if (spec!.startsWith('node:') || spec === 'electron') continue;
        imported.add(spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!);
      }
    }
    expect(imported.size).toBeGreaterThanOrEqual(3);
    for (const name of imported) expect(files, name).toContain(`/node_modules/${name}/package.json`);
  });

  it('unpacks native code and the models beside the archive, where the app looks for them', () => {
    const paths = appPaths(asarPath);
    const repoGraphs = readdirSync('models', { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join('models', d.name, 'manifest.json')))
      .flatMap((d) => readdirSync(join('models', d.name)).filter((f) => f.endsWith('.onnx') || f === 'manifest.json').map((f) => `${d.name}/${f}`));
    expect(repoGraphs.length).toBeGreaterThanOrEqual(12);
    for (const file of repoGraphs) expect(existsSync(join(paths.models, file)), file).toBe(true);
    expect(existsSync(paths.datasetBinary)).toBe(true);
    expect(existsSync(paths.datasetSidecar)).toBe(true);

    const unpacked = `${asarPath}.unpacked`;
    const packedNative = listPackage(asarPath, { isPack: true })
      .map((f) => f.split('\\').join('/'))
      .filter((f) => NATIVE.test(f));
    expect(packedNative.length).toBeGreaterThanOrEqual(3);
    for (const entry of packedNative) expect(entry, 'native file left inside the archive').toMatch(/^unpack : /);
    const ortBin = join(unpacked, 'node_modules/onnxruntime-node/bin/napi-v6');
    expect(readdirSync(ortBin)).toEqual(['linux']);
    expect(readdirSync(join(ortBin, 'linux'))).toEqual([process.arch]);
    expect(existsSync(join(ortBin, 'linux', process.arch, 'onnxruntime_binding.node'))).toBe(true);
  });

  it('ships the bundled models in under 60 MB together, so the download stays small', () => {
    const folder = appPaths(asarPath).models;
    const bytes = readdirSync(folder, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
    expect(bytes).toBeGreaterThan(10e6); // the graphs are really there
    expect(bytes).toBeLessThan(60e6);
  });
});
