import { spawn, type ChildProcess } from 'node:child_process';
import { expect, type Page } from '@playwright/test';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearLongTasks, longTasksSummary } from './longTasks';

/**
 * Starts the built browser-mode server on a free port with its settings in configDir; resolves to its printed URL,
 * with the process (its pid for memory readings, its exit) and everything it has printed so far.
 */
export async function launchServer(configDir: string): Promise<{ url: string; stop(): void; process: ChildProcess; output(): string }> {
  const server = spawn(process.execPath, ['out/main/server.js', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LATENT_STUDIO_CONFIG_DIR: configDir } });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`browser-mode server did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (code) => reject(new Error(`browser-mode server exited with ${code}:\n${output}`)));
  });
  return { url, stop: () => void server.kill('SIGTERM'), process: server, output: () => output };
}

/**
 * A server of its own with copies of fixture model folders (tests/fixtures/models/<name>) added in
 * Models, as a user adds a folder of their models; the copies keep caches written beside the models
 * out of the repository.
 */
export async function serveWithUserModel(page: Page, ...names: string[]): Promise<{ url: string; stop(): void; folder: string }> {
  const folder = mkdtempSync(join(tmpdir(), 'e2e-user-models-'));
  for (const name of names) cpSync(join('tests', 'fixtures', 'models', name), join(folder, name), { recursive: true, filter: (path) => !path.includes('.latent-studio') });
  const server = await launchServer(mkdtempSync(join(tmpdir(), 'e2e-user-models-config-')));
  await page.goto(`${server.url}#models`);
  // The folder is listed once the engine has taken it; a submit lost to a page still settling (seen once in a
  // loaded full run: no card after 60 s) is sent again, and whatever the engine answered shows in the failure.
  const listed = page.getByRole('region', { name: 'Your model folders' }).getByText(folder, { exact: true });
  await expect(async () => {
    if (!(await listed.isVisible())) {
      await page.getByLabel('Model folder path').fill(folder);
      await page.getByRole('button', { name: 'Add folder' }).click();
    }
    await expect(listed).toBeVisible({ timeout: 15_000 });
  }).toPass({ timeout: 60_000 });
  for (const name of names) await expect(page.getByTestId(`model-${name}`), `the model ${name} from ${folder}`).toBeVisible({ timeout: 60_000 });
  return { ...server, folder };
}

/**
 * Starts the server exactly as `npm start -- --browser` would, and hands its printed URL
 * (with the per-launch token) to the tests.
 */
export default async function startServer(): Promise<() => Promise<void>> {
  // Settings, recent projects and autosaves go to a fresh folder, never the user's own.
  const configDir = mkdtempSync(join(tmpdir(), 'latent-studio-e2e-'));
  const { url, stop } = await launchServer(configDir);
  process.env.STUDIO_URL = url;
  process.env.STUDIO_CONFIG_DIR = configDir;
  clearLongTasks();
  return async () => {
    stop();
    console.info(longTasksSummary());
    // `UPDATE_SCREENSHOTS=1 npm test` refreshes the README's screenshots from this run.
    if (process.env.UPDATE_SCREENSHOTS && existsSync('test-results/screenshots')) cpSync('test-results/screenshots', 'docs/screenshots', { recursive: true });
  };
}
