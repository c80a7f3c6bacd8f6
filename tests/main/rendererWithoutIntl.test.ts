import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// The page writes numbers and times with renderer/src/lib/formatCount.ts and formatTime.ts.
it('the page formats nothing through Intl: its first use held Chromium’s main thread 55–100 ms while ICU loaded', () => {
  const root = join(import.meta.dirname, '../../renderer/src');
  const offenders = (readdirSync(root, { recursive: true }) as string[])
    .filter((file) => /\.tsx?$/.test(file))
    .filter((file) => /\.toLocale(String|DateString|TimeString)\(|\bIntl\.|\.localeCompare\(/.test(readFileSync(join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')));
  expect(offenders).toEqual([]);
});
