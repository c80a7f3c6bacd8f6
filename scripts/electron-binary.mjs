import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

/**
 * The Electron binary's path, or why there is none. The electron package's
 * download is disabled in package.json, and `require('electron')` would try
 * it again, so look at what the package left on disk instead.
 */
export function electronBinary() {
  const require = createRequire(import.meta.url);
  let root;
  try {
    root = dirname(require.resolve('electron/package.json'));
  } catch {
    return { reason: 'the electron package is not installed (run npm ci)' };
  }
  const pathFile = join(root, 'path.txt');
  if (!existsSync(pathFile)) return { reason: 'the Electron binary is not installed (its download is disabled here)' };
  const path = join(root, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(path) ? { path } : { reason: `the Electron binary is missing (${path})` };
}

export function hasDisplay() {
  return process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}
