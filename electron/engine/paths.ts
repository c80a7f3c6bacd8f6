import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json, models/ and resources/, found from wherever the code was built to. */
export function findAppRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the app folder (package.json and models/) above ${from}`);
    dir = parent;
  }
}

export interface AppPaths {
  root: string;
  models: string;
  datasetBinary: string;
  datasetSidecar: string;
  /** Every dataset sample the app ships, the first being datasetBinary's; offered to the models whose images they fit. */
  samples: { id: string; binary: string; sidecar: string }[];
  renderer: string;
}

/**
 * A packaged app runs from resources/app.asar. ONNX Runtime opens model files with its own
 * file I/O, which cannot see inside the archive, so electron-builder.yml unpacks the models
 * and the dataset beside it, into app.asar.unpacked/.
 */
function unpackedRoot(root: string): string {
  return root.endsWith('.asar') ? `${root}.unpacked` : root;
}

export function appPaths(root: string = findAppRoot()): AppPaths {
  const data = unpackedRoot(root);
  const sample = (id: string, binary: string, sidecar: string) => ({ id, binary: join(data, 'resources', 'dataset', binary), sidecar: join(data, 'resources', 'dataset', sidecar) });
  const samples = [sample('bundled', 'fashion-mnist-t10k.lsds.gz', 'fashion-mnist.json'), sample('bundled-emoji-64', 'emoji-64-test.lsds.gz', 'emoji-64.json')];
  return {
    root,
    models: join(data, 'models'),
    datasetBinary: samples[0]!.binary,
    datasetSidecar: samples[0]!.sidecar,
    samples,
    renderer: join(root, 'out', 'renderer'),
  };
}

/** Where browser mode keeps settings (the desktop app uses Electron's userData folder). */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LATENT_STUDIO_CONFIG_DIR) return env.LATENT_STUDIO_CONFIG_DIR;
  if (process.platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'Latent Studio');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'latent-studio');
}
