import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** The modules a module imports for their values: `import type`, imports of types only, and import() are left out. */
function valueImports(file: string): string[] {
  const source = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const found: string[] = [];
  for (const m of source.matchAll(/^(?:import|export)\s+(type\s+)?([\s\S]*?)\s+from\s+['"]([^'"]+)['"]/gm)) {
    const [, typeOnly, clause, specifier] = m;
    const names = /\{([\s\S]*)\}/.exec(clause!)?.[1]?.split(',').map((n) => n.trim()).filter(Boolean);
    const onlyTypes = !!names && !/^[\w$]+\s*,|\*/.test(clause!) && names.every((n) => n.startsWith('type '));
    if (!typeOnly && !onlyTypes) found.push(specifier!);
  }
  for (const m of source.matchAll(/^import\s+['"]([^'"]+)['"]/gm)) found.push(m[1]!);
  return found;
}

function resolveLocal(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  return [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find((p) => existsSync(p) && /\.tsx?$/.test(p));
}

/** Every package the page's first bundle holds: the static imports reachable from its entry. */
function firstBundlePackages(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of valueImports(file)) {
      if (specifier.startsWith('.')) {
        const local = resolveLocal(file, specifier);
        if (local) visit(local);
      } else if (!packages.has(specifier)) packages.set(specifier, file.slice(root.length + 1));
    }
  };
  visit(entry);
  return packages;
}

it("the page's first bundle holds no zod: its schemas, built at load, were half of the page's first task (93–147 ms)", () => {
  const packages = firstBundlePackages(join(root, 'renderer/src/main.tsx'));
  // The walk sees the page's own packages (a check that it follows imports at all)…
  expect([...packages.keys()]).toEqual(expect.arrayContaining(['react', 'react-dom/client', 'zustand']));
  // …and zod only behind import() (client/checks.ts, the directions file's reader), never statically.
  expect(packages.get('zod'), `zod is imported at load by ${packages.get('zod')}`).toBeUndefined();
});
