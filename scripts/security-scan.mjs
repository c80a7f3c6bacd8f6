// Electronegativity over the app's source and its built output. Fails on any
// finding that no inline `eng-disable` comment justifies, and on any file the
// scanner could not parse (a file it skips is a file it did not check).
// Usage: node scripts/security-scan.mjs [source|built|DIR]...   (default: source built)
import Module, { createRequire } from 'node:module';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, '..');

// The scanner fetches translations and Electron's release list from GitHub.
// Scans must be repeatable and offline, so `got` answers "unavailable" at once
// and the scanner keeps its bundled en-US strings.
const offlineGot = Object.assign(async () => ({ statusCode: 503, body: '', headers: {} }), {
  head: async () => ({ statusCode: 503, headers: {} }),
});
// Its tree walkers predate ES2022 (class private names and static blocks, both
// in the built bundles); they visit such nodes' children generically instead
// of abandoning the whole file.
const tolerant = (options) => ({ fallback: 'iteration', ...options });
const patched = {
  got: () => offlineGot,
  'estraverse-fb': (estraverse) => ({ ...estraverse, traverse: (tree, options) => estraverse.traverse(tree, tolerant(options)) }),
  escope: (escope) => ({ ...escope, analyze: (tree, options) => escope.analyze(tree, tolerant(options)) }),
};
const load = Module._load;
Module._load = function (request, ...rest) {
  const original = request === 'got' ? undefined : load.call(this, request, ...rest);
  return request in patched ? patched[request](original) : original;
};
process.env.LANG = 'en-US';

const run = require('@doyensec/electronegativity');
const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version;

// Both need Electron's release notes from the network (the version check only feeds the fixes check); `npm outdated electron` covers them by hand.
const NOT_RUN = ['AvailableSecurityFixesGlobalCheck', 'ElectronVersionJSONCheck'];

/** What each scan reads: the app's own files only, never tests or tooling. */
const TARGETS = {
  source: ['electron', 'renderer/index.html', 'renderer/src', 'package.json'],
  built: ['out', 'package.json'],
};

/** Copies a scan's files to a scratch folder, so nothing else in the tree is read. */
function stage(name) {
  const missing = TARGETS[name].filter((path) => !existsSync(join(root, path)));
  if (missing.length > 0) throw new Error(`${name} scan: missing ${missing.join(', ')}${name === 'built' ? ' (run the build first)' : ''}`);
  const dir = mkdtempSync(join(tmpdir(), `eng-${name}-`));
  for (const path of TARGETS[name]) cpSync(join(root, path), join(dir, path), { recursive: true });
  return dir;
}

/** Prints the scan's unjustified findings and parse errors; returns how many there were. */
async function scan(name, dir) {
  const result = await run({
    input: dir,
    isRelative: true,
    electronVersionOverride: electronVersion,
    excludeFromScan: NOT_RUN,
    parserPlugins: [],
  });
  const relative = (file) => (file.startsWith(dir) ? file.slice(dir.length + 1) : file);
  const errors = result.errors.filter((e) => !e.tolerable);
  const findings = result.issues;
  console.log(`${name}: ${result.atomicChecks} atomic and ${result.globalChecks} global checks, Electron ${electronVersion}`);
  for (const e of errors) console.log(`  PARSE ERROR ${relative(e.file)}: ${e.message}`);
  for (const f of findings) {
    console.log(`  ${f.id} [${f.severity.name}/${f.confidence.name}] ${relative(f.file)}:${f.location.line}:${f.location.column}`);
    if (f.sample) console.log(`    ${f.sample.trim().slice(0, 160)}`);
    console.log(`    ${f.description}`);
  }
  if (errors.length === 0 && findings.length === 0) console.log('  no unjustified findings');
  return errors.length + findings.length;
}

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(TARGETS);
let problems = 0;
for (const name of names) {
  if (name in TARGETS) {
    const dir = stage(name);
    try {
      problems += await scan(name, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else if (existsSync(name)) {
    problems += await scan(name, resolve(name));
  } else {
    throw new Error(`nothing to scan at "${name}": give ${Object.keys(TARGETS).join(' or ')}, or a folder`);
  }
}
console.log(`not run: ${NOT_RUN.join(', ')} (they need Electron's release notes from the network)`);
process.exit(problems > 0 ? 1 : 0);
