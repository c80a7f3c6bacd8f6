// `npm run bench`: the benchmark suite under tests/bench, results written to bench-results/ (git-ignored).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

mkdirSync('bench-results', { recursive: true });
const result = spawnSync('node_modules/.bin/vitest', ['bench', '--run', '--dir', 'tests/bench', '--outputJson', 'bench-results/bench.json'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
