import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createEngine } from '../engine/engine';
import { appPaths, defaultConfigDir } from '../engine/paths';
import type { ProviderName } from '../engine/runtime/providers';
import { startRuntime } from '../engine/runtime/remoteSessions';
import { startBrowserServer } from './server';

/** Browser mode's entry point: `node out/main/server.js [--port N] [--provider cpu]`. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '7431' },
      provider: { type: 'string' },
      threads: { type: 'string' },
    },
    allowPositionals: false,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0 to 65535; got "${values.port}"`);
  const provider = values.provider as ProviderName | undefined;
  if (provider && !['cuda', 'dml', 'cpu'].includes(provider)) throw new Error(`--provider must be cuda, dml or cpu; got "${provider}"`);
  const paths = appPaths();
  if (!existsSync(paths.renderer)) throw new Error(`the renderer is not built (${paths.renderer} is missing): run npm run build`);

  const engine = await createEngine({ paths, configDir: defaultConfigDir(), provider, threads: values.threads ? Number(values.threads) : undefined });
  const server = await startBrowserServer({ engine, rendererDir: paths.renderer, port });
  console.log(`Latent Studio (browser mode) is ready: open ${server.url}`);
  // ONNX Runtime sets itself up on its thread while the page loads (started earlier, it slowed the server's own start).
  startRuntime();

  const stop = async () => {
    await server.close();
    await engine.dispose();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: Error) => {
  console.error(`Latent Studio could not start browser mode: ${error.message}`);
  process.exit(1);
});
