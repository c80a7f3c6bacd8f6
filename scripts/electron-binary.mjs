import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

/**
 * The Electron binary's path, or why there is none. The electron package's
 * install step (which downloads the binary) is disabled in package.json, so
 * on machines without it `require('electron')` throws.
 */
export function electronBinary() {
  const require = createRequire(import.meta.url);
  try {
    const path = require('electron');
    if (typeof path === 'string' && existsSync(path)) return { path };
    return { reason: `the Electron binary is missing (${path})` };
  } catch (error) {
    return { reason: 'the Electron binary is not installed (its download is disabled here)' };
  }
}

export function hasDisplay() {
  return process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}
