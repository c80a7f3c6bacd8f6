import { expect, test as base, type Page } from '@playwright/test';
import { appendFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FrameAssembler } from '../../electron/api/wire';
import { longTasksFile, type LongTask } from '../longTasks';

/**
 * Every browser-mode test also fails on a Content-Security-Policy violation,
 * so a view that needs more than the strict policy allows cannot slip in.
 */
export const test = base.extend<{ cspViolations: string[]; noOrphans: void; longTasks: LongTask[] }>({
  // The page's main-thread tasks over 50 ms in every page of the test, with the view they fell in: reported beside the
  // test and summed up at the end of the run (LONG_TASKS_FILE), never asserted on (timings belong in the bench).
  longTasks: [
    async ({ context }, use, testInfo) => {
      const tasks: LongTask[] = [];
      await context.exposeBinding('__e2eLongTask', (_source, ms: number, view: string) => void tasks.push({ ms: Math.round(ms), view }));
      await context.addInitScript(() => {
        const report = (window as unknown as { __e2eLongTask(ms: number, view: string): void }).__e2eLongTask;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) report(entry.duration, location.hash.replace(/^#/, '').split('?')[0] || 'start');
        }).observe({ type: 'longtask', buffered: true });
      });
      await use(tasks);
      if (tasks.length === 0) return;
      const longest = tasks.reduce((a, b) => (b.ms > a.ms ? b : a));
      testInfo.annotations.push({ type: 'long tasks', description: `${tasks.length} over 50 ms, longest ${longest.ms} ms (${longest.view})` });
      appendFileSync(longTasksFile(), `${JSON.stringify({ test: testInfo.titlePath.slice(1).join(' › '), tasks })}\n`);
    },
    { auto: true },
  ],
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

/** The name and lane of every call the page sends, read from its frames (a large call's parts joined first). */
export function recordCalls(page: Page): { name: string; lane?: string }[] {
  const calls: { name: string; lane?: string }[] = [];
  page.on('websocket', (socket) => {
    const frames = new FrameAssembler();
    socket.on('framesent', ({ payload }) => {
      if (typeof payload === 'string') return;
      const message = frames.take(payload) as { type: string; name?: string; args?: { lane?: string } } | undefined;
      if (message?.type === 'call') calls.push({ name: message.name!, lane: message.args?.lane });
    });
  });
  return calls;
}
