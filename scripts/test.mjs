// `npm test`: typecheck, build, vitest, the electronegativity scan, Playwright in browser mode (Debian
// chromium), and the Electron suite where the binary exists. Ends with one
// plain line "N passed, N failed[, N skipped]" and exits non-zero on failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { electronBinary, hasDisplay } from './electron-binary.mjs';

const results = resolve('test-results');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });
const tally = { passed: 0, failed: 0, skipped: 0 };
const bin = (name) => `node_modules/.bin/${name}`;

function run(title, command, args, env = {}) {
  console.log(`\n── ${title} ──`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status === 0;
}

/** A step that is one check of its own (typecheck, build). */
function step(title, command, args) {
  const ok = run(title, command, args);
  tally[ok ? 'passed' : 'failed'] += 1;
  return ok;
}

/** A runner that left no report counts as one failure: a suite must never pass by saying nothing. */
function missingReport(file) {
  console.log(`No report at ${file}: counted as a failure.`);
  tally.failed += 1;
}

function countVitest(file, ok) {
  if (!existsSync(file)) return missingReport(file);
  const report = JSON.parse(readFileSync(file, 'utf8'));
  tally.passed += report.numPassedTests;
  tally.failed += report.numFailedTests + (ok || report.numFailedTests > 0 ? 0 : 1);
  tally.skipped += report.numPendingTests + report.numTodoTests;
}

function countPlaywright(file, ok) {
  if (!existsSync(file)) return missingReport(file);
  const { stats } = JSON.parse(readFileSync(file, 'utf8'));
  tally.passed += stats.expected + stats.flaky;
  tally.failed += stats.unexpected + (ok || stats.unexpected > 0 ? 0 : 1);
  tally.skipped += stats.skipped;
}

step('typecheck (node)', bin('tsc'), ['-p', 'tsconfig.node.json', '--noEmit']);
step('typecheck (web)', bin('tsc'), ['-p', 'tsconfig.web.json', '--noEmit']);

// Built before vitest: the packaging test packs this build with electron-builder.
const built = step('build', bin('electron-vite'), ['build', '--logLevel', 'warn']);

const vitestJson = `${results}/vitest.json`;
countVitest(vitestJson, run('vitest', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]));

if (built) step('security scan: electronegativity on source and built output', process.execPath, ['scripts/security-scan.mjs']);

if (built) {
  const browserJson = `${results}/e2e-browser.json`;
  countPlaywright(
    browserJson,
    run('end-to-end: browser mode in chromium', bin('playwright'), ['test', '-c', 'e2e/playwright.config.ts', '--reporter=list,json'], {
      PLAYWRIGHT_JSON_OUTPUT_NAME: browserJson,
    }),
  );
} else {
  console.log('\nEnd-to-end suites not run: the build failed.');
}

const electron = electronBinary();
if ('path' in electron && hasDisplay() && built) {
  const electronJson = `${results}/e2e-electron.json`;
  countPlaywright(
    electronJson,
    run('end-to-end: Electron', bin('playwright'), ['test', '-c', 'e2e/electron.config.ts', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: electronJson }),
  );
} else {
  const why = 'path' in electron ? (hasDisplay() ? 'the build failed' : 'no display') : electron.reason;
  const listed = spawnSync(bin('playwright'), ['test', '-c', 'e2e/electron.config.ts', '--list', '--reporter=json'], { encoding: 'utf8' });
  let count = 0;
  try {
    const walk = (suite) => (suite.specs?.length ?? 0) + (suite.suites ?? []).reduce((n, s) => n + walk(s), 0);
    count = JSON.parse(listed.stdout).suites.reduce((n, s) => n + walk(s), 0);
  } catch {
    count = 1;
  }
  console.log(`\nElectron end-to-end suite SKIPPED: ${why}; its ${count} test(s) run where the Electron binary exists.`);
  tally.skipped += count;
}

const line = `${tally.passed} passed, ${tally.failed} failed${tally.skipped ? `, ${tally.skipped} skipped` : ''}`;
console.log(`\n${line}`);
process.exit(tally.failed > 0 ? 1 : 0);
