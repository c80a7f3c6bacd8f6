import { expect, test as base, type Page } from '@playwright/test';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every browser-mode test also fails on a Content-Security-Policy violation,
 * so a view that needs more than the strict policy allows cannot slip in.
 */
export const test = base.extend<{ cspViolations: string[]; noOrphans: void }>({
  // Tests share one server; each starts as after a clean exit, not greeted by the autosaves of earlier tests' closed pages.
  noOrphans: [
    async ({}, use) => {
      const folder = process.env.STUDIO_CONFIG_DIR && join(process.env.STUDIO_CONFIG_DIR, 'autosaves');
      // force: the server releases the previous page's lock file on its own schedule, so one listed here may already be gone.
      if (folder) for (const file of readdirSync(folder, { withFileTypes: true })) if (file.isFile()) rmSync(join(folder, file.name), { force: true });
      await use();
    },
    { auto: true },
  ],
  cspViolations: [
    async ({ page }, use) => {
      const violations: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await use(violations);
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** The name and lane of every call the page sends, read from each binary frame's JSON header. */
export function recordCalls(page: Page): { name: string; lane?: string }[] {
  const calls: { name: string; lane?: string }[] = [];
  page.on('websocket', (socket) =>
    socket.on('framesent', ({ payload }) => {
      if (typeof payload === 'string') return;
      const header = JSON.parse(payload.subarray(4, 4 + payload.readUInt32LE(0)).toString('utf8')) as { type: string; name?: string; args?: { lane?: string } };
      if (header.type === 'call') calls.push({ name: header.name!, lane: header.args?.lane });
    }),
  );
  return calls;
}
