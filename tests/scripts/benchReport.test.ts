import { describe, expect, it } from 'vitest';

/** `npm run bench` writes its report through formatReport: a script error there loses a whole run's figures at the end. */
const { formatReport } = (await import(new URL('../../scripts/benchReport.mjs', import.meta.url).href)) as { formatReport: (report: unknown) => string };

describe('the bench report', () => {
  it('formats the scripted session with each phase’s memory and the server’s answer time for a cheap call', () => {
    const phase = (name: string, ms: number, rssMB: number, cheap?: [number, number, number]) => ({
      phase: name,
      ms,
      rssMB,
      peakMB: rssMB + 10,
      ...(cheap ? { cheapCall: { calls: 40, p50: cheap[0], p95: cheap[1], max: cheap[2] } } : {}),
    });
    const markdown = formatReport({
      machine: { cpu: 'Test CPU', cores: 2, platform: 'linux-x64', node: 'v20', date: '2026-12-03' },
      session: { phases: [phase('started', 0, 80), phase('inversion: 100 steps in w', 52098, 1309, [2.6, 8.2, 89])], peakMB: 1319, cachedMB: 13.8, budgetMB: 4096, totalMs: 98382 },
    });
    expect(markdown).toContain('Machine: Test CPU, 2 cores');
    expect(markdown).toContain('Peak **1319 MB** (target ≤ 1.5 GB: PASS)');
    expect(markdown).toContain('| started | 0 | 80 | 90 | – |');
    expect(markdown).toContain('| inversion: 100 steps in w | 52098 | 1309 | 1319 | 2.6 / 8.2 / 89 |');
  });

  it('formats the page session with each phase’s longest task and the server’s memory, against their targets', () => {
    const markdown = formatReport({
      machine: { cpu: 'Test CPU', cores: 2, platform: 'linux-x64', node: 'v20', date: '2026-12-04' },
      pageSession: {
        phases: [
          { phase: 'explored with the 256 px VAE', ms: 15600, longestTaskMs: 104.2, tasksOver50: 2, tasksOver100: 2, rssMB: 1140, peakMB: 1156 },
          { phase: 'diffuse: DDPM, 1000 steps at batch 4, then scrubbed', ms: 25900, longestTaskMs: 61, tasksOver50: 1, tasksOver100: 0, rssMB: 1131, peakMB: 1216 },
        ],
        longestTaskMs: 104.2,
        peakMB: 1216,
        pageLoadLongestTaskMs: 80,
        totalMs: 120000,
      },
    });
    expect(markdown).toContain('Longest task **104 ms** (target ≤ 100 ms: MISS); server peak **1216 MB** (target ≤ 1.5 GB: PASS)');
    expect(markdown).toContain('| explored with the 256 px VAE | 15.6 | 104 | 2 / 2 | 1140 | 1156 |');
    expect(markdown).toContain('| diffuse: DDPM, 1000 steps at batch 4, then scrubbed | 25.9 | 61 | 1 / 0 | 1131 | 1216 |');
  });

  it('formats the step previews rows, before and after, with the kind of preview each run chose', () => {
    const markdown = formatReport({
      machine: { cpu: 'Test CPU', cores: 2, platform: 'linux-x64', node: 'v20', date: '2026-12-05' },
      previews: [
        { model: 'fmnist-ddpm-latent-cond', steps: 50, batch: 4, beforeMsPerStep: 13.471, beforeMiB: 1.359, afterMsPerStep: 12.07, afterMiB: 0.62, previews: 'decode 28×28' },
        { model: 'fmnist-ddpm-latent-cond', steps: 1000, batch: 16, beforeMsPerStep: 32.4, beforeMiB: 107.73, afterMsPerStep: 6.449, afterMiB: 5.54, previews: 'linear 7×7' },
      ],
    });
    expect(markdown).toContain('| model | steps × batch | before: ms/step | before: MiB | after: ms/step | after: MiB | after: previews |');
    expect(markdown).toContain('| fmnist-ddpm-latent-cond | 50 × 4 | 13.47 | 1.36 | 12.07 | 0.62 | decode 28×28 |');
    expect(markdown).toContain('| fmnist-ddpm-latent-cond | 1000 × 16 | 32.40 | 107.73 | 6.45 | 5.54 | linear 7×7 |');
  });
});
