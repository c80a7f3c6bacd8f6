// `npm run bench`: builds, runs the measurements (tests/bench/*.perf.ts, and the PyTorch side where
// Python is available), then writes bench-results/bench.json and bench-results/bench.md with
// PASS/MISS against the targets. It never fails on a miss: these are measurements, not tests.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { formatReport } from './benchReport.mjs';

const out = 'bench-results';
rmSync(`${out}/parts`, { recursive: true, force: true });
mkdirSync(`${out}/parts`, { recursive: true });
const run = (command, args) => spawnSync(command, args, { stdio: 'inherit' }).status === 0;

if (!run(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build', '--logLevel', 'warn'])) process.exit(1);

// PyTorch first, while the machine is otherwise idle: its two OpenMP threads suffer most from
// anything else running (browsers from the Node side take a moment to wind down).
const python = '/usr/bin/python3';
let torch = { available: false, reason: 'python3 not found' };
if (existsSync(python)) {
  run(python, ['tests/bench/torch_bench.py', '--out', `${out}/torch.json`, ...(process.argv.includes('--quick') ? ['--quick'] : [])]);
  if (existsSync(`${out}/torch.json`)) torch = JSON.parse(readFileSync(`${out}/torch.json`, 'utf8'));
}
// Then the graph timings, before anything starts a browser: run after the Chromium measurements, the pixel
// denoiser's batch-64 median was 53.1 ms against 49.9 ms alone (2026-11-24). datasets (folders of images encoded
// against the bare encoder, then 100,000 images in the explorer) starts its one browser at its very end; it takes
// about 10 minutes, most of it writing, indexing and encoding the 100,000 files (BENCH_FOLDER_IMAGES sets fewer).
// pageSession drives the real page through a 256 px session (about 3 minutes). diffusionPreviews runs before and after
// cheap step previews side by side (about 3 minutes, most of it the 1000-step runs with full decodes).
for (const file of ['graphs', 'autodiff', 'engine', 'diffusionPreviews', 'session', 'datasets', 'pageSession', 'browser']) run('node_modules/.bin/vitest', ['run', '--config', 'vitest.bench.config.ts', `tests/bench/${file}.perf.ts`]);

const parts = Object.fromEntries(readdirSync(`${out}/parts`).filter((f) => f.endsWith('.json')).map((f) => [f.replace('.json', ''), JSON.parse(readFileSync(`${out}/parts/${f}`, 'utf8'))]));
const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}`, date: new Date().toISOString() };
const report = { machine, ...parts, torch };
writeFileSync(`${out}/bench.json`, JSON.stringify(report, null, 1));
const markdown = formatReport(report);
writeFileSync(`${out}/bench.md`, markdown);
console.log(`\n${markdown}\nWritten: ${out}/bench.json, ${out}/bench.md`);
