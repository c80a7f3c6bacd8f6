// Turns bench-results/bench.json into the markdown report with PASS/MISS against the targets.
// `node scripts/benchReport.mjs` prints the report of the parts in bench-results/parts, e.g. after one perf file run alone.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';

const ms = (v) => (v === undefined ? '–' : v < 10 ? v.toFixed(3) : v.toFixed(1));
const verdict = (ok) => (ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS');

export function formatReport(r) {
  const lines = [];
  const push = (...l) => lines.push(...l);
  const m = r.machine;
  push(`# Latent Studio benchmarks`, '', `Machine: ${m.cpu}, ${m.cores} cores, ${m.platform}, Node ${m.node}, ${m.date}.`, '');
  const torch = r.torch ?? {};
  if (torch.available) push(`PyTorch ${torch.torch} eager, ${torch.threads} threads; CPU peak ${torch.peakGflops?.toFixed(1)} GFLOP/s (${torch.peakMethod}).`, '');
  else push(`PyTorch column: skipped: ${torch.reason ?? 'not run'}.`, '');

  push('## Graphs', '', 'Median ms (p10–p90) per run. Speed-up = PyTorch eager ÷ onnxruntime-node, same weights, same run. Targets: ≥ 2.5× at batch 1, ≥ 1.5× at batch 64.', '');
  push('| graph | batch | onnxruntime-node | onnxruntime-web (WASM) | PyTorch eager | speed-up | target | GFLOP/s | % of peak |', '|---|---|---|---|---|---|---|---|---|');
  for (const [key, g] of Object.entries(r.graphs ?? {})) {
    for (const batch of ['1', '64']) {
      const node = g.node?.[batch];
      const web = g.web?.[batch];
      const t = torch.graphs?.[key];
      const eager = t?.torch?.[batch];
      const speedup = eager?.median && node ? eager.median / node.median : undefined;
      const flops = t?.flops?.[batch];
      const gflops = flops && node ? flops / (node.median / 1000) / 1e9 : undefined;
      const target = batch === '1' ? 2.5 : 1.5;
      push(
        `| ${key} | ${batch} | ${ms(node?.median)} (${ms(node?.p10)}–${ms(node?.p90)}) | ${ms(web?.median)} | ${eager?.median ? ms(eager.median) : t?.torch?.skipped ? `skipped: ${t.torch.skipped}` : torch.available ? 'skipped: not in the PyTorch side\'s models' : 'skipped'} | ${speedup ? `${speedup.toFixed(2)}×` : '–'} | ${verdict(speedup === undefined ? undefined : speedup >= target)} | ${gflops ? gflops.toFixed(2) : '–'} | ${gflops && torch.peakGflops ? ((100 * gflops) / torch.peakGflops).toFixed(1) : '–'} |`,
      );
    }
  }
  push('');

  const a = r.autodiff;
  if (a) {
    push('## Gradients differentiated from the graph', '', `fmnist-dcgan: the generator differentiated by Latent Studio against its hand-written inversion graph (loss and dL/dz), median ms, best of three alternating rounds. Target: differentiated ≤ 1.3× hand-written. Graph built in ${ms(a.build['fmnist-dcgan'])} ms (stylegan-tiny: ${ms(a.build['stylegan-tiny'])} ms, stylegan-256: ${ms(a.build['stylegan-256'])} ms).`, '');
    push('| batch | hand-written (ms) | differentiated (ms) | ratio | target |', '|---|---|---|---|---|');
    for (const [batch, d] of Object.entries(a.dcgan)) {
      const ratio = d.differentiated.median / d.handWritten.median;
      push(`| ${batch} | ${ms(d.handWritten.median)} | ${ms(d.differentiated.median)} | ${ratio.toFixed(2)}× | ${verdict(ratio <= 1.3)} |`);
    }
    push('', 'StyleGAN-style fixtures, batch 1: one inversion step (loss and dL/dcode, forward + backward) in z and in w+, best median of three alternating rounds, against PyTorch autograd (`loss.backward()`, no optimizer) on the same weights; speed-up = onnxruntime steps/s ÷ PyTorch steps/s.', '');
    push('| fixture | forward, onnxruntime (ms) | forward, PyTorch (ms) | space | step, onnxruntime (ms) | steps/s | PyTorch autograd steps/s | speed-up |', '|---|---|---|---|---|---|---|---|');
    for (const [id, s] of [['stylegan-tiny', a.styleganTiny], ['stylegan-256', a.stylegan256]]) {
      if (!s) continue;
      const t = torch.styleganInversion?.[id];
      for (const [space, step, eager] of [['z', s.step, t?.z], ['w+', s.stepWPlus, t?.['w+']]]) {
        if (!step) continue;
        const rate = 1000 / step.median;
        push(`| ${id} | ${ms(s.forward.median)} | ${t?.forward ? ms(t.forward.median) : '–'} | ${space} | ${ms(step.median)} | ${rate.toFixed(1)} | ${eager ? eager.stepsPerSecond.toFixed(1) : `skipped${t?.skipped ? `: ${t.skipped}` : ''}`} | ${eager ? `${(rate / eager.stepsPerSecond).toFixed(2)}×` : '–'} |`);
      }
    }
    push('');
    for (const [id, t] of Object.entries(torch.styleganInversion ?? {})) if (t.weights) push(`PyTorch weights of ${id}: ${t.weights} (parity ${t.parityMaxRelError.toExponential(1)}).`, '');
  }

  const e = r.engine ?? {};
  if (e.transport) {
    const t = e.transport;
    push('## Transport', '', `A 28×28 VAE decode, median ms: in-process ${ms(t.inProcess.median)}, browser-mode WebSocket ${ms(t.websocket.median)}; overhead ${ms(t.overheadMedianMs)} ms per call (target ≤ 1 ms: ${verdict(t.overheadMedianMs <= 1)}); ${t.bytesPerCall} bytes per call and reply. Electron IPC: ${t.ipc.skipped ?? ''}.`, '');
  }
  if (e.cursorDecode) push(`Decode while dragging the latent cursor (one lane, WebSocket): p50 ${ms(e.cursorDecode.p50)} ms, p95 ${ms(e.cursorDecode.p95)} ms over ${e.cursorDecode.runs} moves.`, '');
  if (e.besideBackground) {
    push('A drag\'s decode begun while a frame made ahead is decoded (in-process, `model.preview`; the drag\'s begun a fifth of a decode after the frame\'s): the frame as Edit sends it, in the background, and at equal priority, as before. Target: within one decode and two frames (33 ms).', '');
    push('| size | model | one decode alone (ms) | beside a background frame: median / worst (ms) | target | beside a frame at equal priority: median / worst (ms) |', '|---|---|---|---|---|---|');
    for (const [px, s] of Object.entries(e.besideBackground)) {
      push(`| ${px} px | ${s.model}${s.copyReady === false ? ' (its background copy was not made within 10 s)' : ''} | ${ms(s.aloneMs)} | ${ms(s.background.median)} / ${ms(s.background.worst)} | ≤ ${ms(s.aloneMs + 33)}: ${verdict(s.background.median <= s.aloneMs + 33)} | ${ms(s.equal.median)} / ${ms(s.equal.worst)} |`);
    }
    push('');
  }

  const b = r.browser ?? {};
  if (b.editToPaint) push('## In Chromium (browser mode, SwiftShader)', '', `Edit-to-paint, mouse drags on a direction slider, from the DOM input event to the end of the frame that paints the new image: p50 ${ms(b.editToPaint.median)} ms, p95 ${ms(b.editToPaint.p95)} ms over ${b.editToPaint.runs} drags (target p95 ≤ 16 ms: ${verdict(b.editToPaint.p95 <= 16)}).`, '');
  if (b.editToPaintBySize) {
    push('Edit-to-paint with colour models at their size (fixtures; 256 and 512 px: a folder of emoji enlarged to that size as the dataset; the pointer approaches the thumb over 150 ms before pressing). The page runs in a Chromium that no DevTools client watches, as a person\'s does (`tests/bench/barePage.ts`); the last column is the same drags in a page Playwright drives, whose DevTools client has every socket message copied to it (about 15 ms of the page\'s main thread per 512 px picture). Targets: p95 ≤ one decode + 2 frames (33 ms), the first move after adding a direction, and on a second direction\'s slider (whose strip starts with the press), ≤ one decode + 50 ms, no main-thread task over 100 ms.', '');
    push('| size | model | one decode (ms) | p50 (ms) | p95 (ms) | p95 target | first move (ms) | first move, a second slider (ms) | first-move target | longest task (ms) | under Playwright: p50 / p95 / first move (ms) |', '|---|---|---|---|---|---|---|---|---|---|---|');
    for (const [px, s] of Object.entries(b.editToPaintBySize)) {
      const first = Math.max(s.firstMove, s.firstMoveOtherSlider ?? 0);
      const watched = s.underPlaywright ? `${ms(s.underPlaywright.median)} / ${ms(s.underPlaywright.p95)} / ${ms(s.underPlaywright.firstMove)}` : '–';
      push(`| ${px} px | ${s.model} | ${ms(s.decodeMs)} | ${ms(s.median)} | ${ms(s.p95)} | ≤ ${ms(s.decodeMs + 33)}: ${verdict(s.p95 <= s.decodeMs + 33)} | ${ms(s.firstMove)} | ${s.firstMoveOtherSlider === undefined ? '–' : ms(s.firstMoveOtherSlider)} | ≤ ${ms(s.decodeMs + 50)}: ${verdict(first <= s.decodeMs + 50)} | ${s.longTasks === 0 ? 'none over 50' : ms(s.longestTask)} (${verdict(s.longestTask <= 100)}) | ${watched} |`);
    }
    push('');
    const nudged = Object.entries(b.editToPaintBySize).filter(([, s]) => s.nudges);
    if (nudged.length) {
      push('Nudge-to-paint on the same sliders: the slider focused and left alone for 6 s after the drags, then 15 arrow keys half a second apart within ±5 steps (where the whole grid is too dear to decode ahead, the amounts near the thumb are decoded while it rests).', '');
      push('| size | one decode (ms) | p50 (ms) | p95 (ms) | nudges |', '|---|---|---|---|---|');
      for (const [px, s] of nudged) push(`| ${px} px | ${ms(s.decodeMs)} | ${ms(s.nudges.median)} | ${ms(s.nudges.p95)} | ${s.nudges.runs} |`);
      push('');
    }
  }
  // The cloud thins while the camera moves, to what holds the frame rate on this machine: say how far.
  const moving = (x) => (x.movingPoints ? ` (${x.movingPoints.toLocaleString('en')} of them drawn while moving)` : '');
  if (b.explorer) {
    for (const [count, x] of Object.entries(b.explorer)) {
      push(`Explorer at ${Number(count).toLocaleString('en')} points${moving(x)} while orbiting: ${x.fps.toFixed(1)} fps${count === '100000' ? ` (target ≥ 30: ${verdict(x.fps >= 30)})` : ''}; hover pick p50 ${ms(x.pick.median)} ms, p95 ${ms(x.pick.p95)} ms${count === '100000' ? ` (target ≤ 5 ms: ${verdict(x.pick.p95 <= 5)})` : ''}.`, '');
    }
  }
  const folder = r.datasets?.folder100k;
  if (folder?.explorer && (b.editToPaint || b.explorer)) {
    const x = folder.explorer;
    push(`Explorer at ${folder.images.toLocaleString('en')} points of a folder of real images (28×28 PNGs, fmnist-vae codes; see Datasets of your own images)${moving(x)} while orbiting: ${x.fps.toFixed(1)} fps (target ≥ 30${folder.images < 100_000 ? ' at 100,000' : ''}: ${verdict(x.fps >= 30)}); hover pick p50 ${ms(x.pick.median)} ms, p95 ${ms(x.pick.p95)} ms (target ≤ 5 ms: ${verdict(x.pick.p95 <= 5)}).`, '');
  }
  if (b.coldStart) push(`Cold start, server launch to first decoded image painted: median ${(b.coldStart.median / 1000).toFixed(2)} s over ${b.coldStart.runs} launches (target ≤ 2 s: ${verdict(b.coldStart.median <= 2000)}).`, '');

  const d = r.datasets ?? {};
  if (d.throughput || d.folder100k) push('## Datasets of your own images', '');
  if (d.throughput) {
    push('A folder of colour images (PNG and JPEG, larger than the model and of another aspect) encoded by `dataset.encode` on a cold codes cache (read, fitted, batches of 32, the next batch read while one is encoded), against the bare encoder graph run on the same images already fitted, in batches of 32; best median of three alternating rounds. "Fitting alone" is the engine\'s reader without the encoder. Target: the pipeline ≥ 0.8× the bare graph\'s images/s.', '');
    push('| size | model | images | indexing (img/s) | fitting alone (img/s) | dataset.encode (img/s) | bare encoder (img/s) | ratio | target | CPU ms/image: pipeline, bare, fitting |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const [px, t] of Object.entries(d.throughput)) {
      push(`| ${t.px ?? px} px (from ${t.source.replace('x', '×')}) | ${t.model} | ${t.images} | ${t.indexPerSecond.toFixed(0)} | ${t.fit ? t.fit.perSecond.toFixed(1) : '–'} | ${t.pipeline.perSecond.toFixed(1)} | ${t.bare.perSecond.toFixed(1)} | ${t.ratio.toFixed(t.ratio < 0.1 ? 3 : 2)}× | ${verdict(t.ratio >= 0.8)} | ${ms(t.pipeline.cpuMsPerImage)}, ${ms(t.bare.cpuMsPerImage)}, ${t.fit ? ms(t.fit.cpuMsPerImage) : '–'} |`);
    }
    push('');
  }
  if (r.session) {
    const s = r.session;
    push('## Server memory over a scripted session at 256 px', '', `The browser-mode server (fixtures vae-256, ldm-256, stylegan-256), driven over its WebSocket; RSS as the OS reports it after each phase, and the peak (VmHWM). Peak **${s.peakMB.toFixed(0)} MB** (target ≤ 1.5 GB: ${verdict(s.peakMB <= 1536)}); the engine's caches held ${s.cachedMB.toFixed(1)} MB of a ${s.budgetMB.toFixed(0)} MB budget at the end; ${(s.totalMs / 1000).toFixed(0)} s in all.`, '');
    push('A second connection asks for `app.info` every 25 ms throughout, as a window\'s cheap calls (autosave, readouts, cancel) do: its round trip says whether the server answers while models run.', '');
    push('| phase | ms | RSS after (MB) | peak so far (MB) | app.info p50 / p95 / max (ms) |', '|---|---|---|---|---|');
    const cheap = (c) => (c ? `${c.p50.toFixed(1)} / ${c.p95.toFixed(1)} / ${c.max.toFixed(0)}` : '–');
    for (const p of s.phases) push(`| ${p.phase} | ${p.ms} | ${p.rssMB.toFixed(0)} | ${p.peakMB.toFixed(0)} | ${cheap(p.cheapCall)} |`);
    push('');
  }
  if (r.pageSession) {
    const s = r.pageSession;
    push('## The page and the server over a session at 256 px', '', `The real page in Chromium (software compositing${s.driver === 'bare' ? ', no DevTools client watching: `barePage.ts`' : ''}) through a person's session with the 256 px fixtures (\`tests/bench/pageSession.perf.ts\`), the folder added once the page's own load has ended: the main thread's long tasks (over 50 ms) in each phase, and the browser-mode server's memory. Longest task **${s.longestTaskMs.toFixed(0)} ms** (target ≤ 100 ms: ${verdict(s.longestTaskMs <= 100)}); server peak **${s.peakMB.toFixed(0)} MB** (target ≤ 1.5 GB: ${verdict(s.peakMB <= 1536)}); the page's own load ${s.pageLoadLongestTaskMs.toFixed(0)} ms at most; ${(s.totalMs / 1000).toFixed(0)} s in all.`, '');
    push('| phase | s | longest task (ms) | tasks over 50 / 100 ms | RSS after (MB) | peak so far (MB) |', '|---|---|---|---|---|---|');
    for (const p of s.phases) push(`| ${p.phase} | ${(p.ms / 1000).toFixed(1)} | ${p.longestTaskMs.toFixed(0)} | ${p.tasksOver50} / ${p.tasksOver100} | ${p.rssMB.toFixed(0)} | ${p.peakMB.toFixed(0)} |`);
    push('');
  }
  if (d.folder100k) {
    const f = d.folder100k;
    const s = (v) => (v / 1000).toFixed(1);
    push(`A folder of ${f.images.toLocaleString('en')} 28×28 greyscale PNGs in 10 subfolders: written in ${s(f.writeMs)} s; opened (indexed: a 48×48 thumbnail each) in ${s(f.index.ms)} s, ${f.index.perSecond.toFixed(0)} images/s, peak RSS ${f.index.peakRssMB.toFixed(0)} MB; encoded with fmnist-vae in ${s(f.encode.ms)} s, ${f.encode.perSecond.toFixed(0)} images/s, peak RSS ${f.encode.peakRssMB.toFixed(0)} MB (process peak ${f.maxRssMB.toFixed(0)} MB); cache ${f.cacheMB.toFixed(0)} MB. In Chromium, from the cache: points on screen ${s(f.pointsShownMs)} s after loading the page${f.explorer ? `, ${f.explorer.fps.toFixed(1)} fps while orbiting (target ≥ 30${f.images < 100_000 ? ' at 100,000' : ''}: ${verdict(f.explorer.fps >= 30)}), hover pick p50 ${ms(f.explorer.pick.median)} ms, p95 ${ms(f.explorer.pick.p95)} ms (target ≤ 5 ms: ${verdict(f.explorer.pick.p95 <= 5)})` : ''}${f.syntheticExplorer ? `; in the same browser, the bundled dataset's points jittered to the same count: ${f.syntheticExplorer.fps.toFixed(1)} fps, pick p95 ${ms(f.syntheticExplorer.pick.p95)} ms` : ''}. The whole row took ${s(f.totalMs)} s.`, '');
  }

  if (e.ddim50) {
    push(
      '## Pipelines',
      '',
      'DDIM-50 (η = 0). "Bare loop" is denoiser + sampler with one decode at the end, as PyTorch eager is timed; "playback job" is the app\'s diffusion.sample, which also makes x_t and x̂₀ previews at every step, decodes the last position in full and keeps the trajectory; the two are timed in turns (medians of at least 7 of each). At 256 px (ldm-256 over vae-256, fixtures) the playback job should cost at most 1.25× the bare loop.',
      '',
    );
    push('| DDIM-50 | batch | bare loop, onnxruntime-node (ms) | PyTorch eager (ms) | speed-up | playback job (ms) | playback ÷ bare | target |', '|---|---|---|---|---|---|---|---|');
    for (const [model, byBatch] of Object.entries(e.ddim50)) {
      for (const [batch, s] of Object.entries(byBatch)) {
        const eager = torch.ddim50?.[model]?.[batch]?.median;
        const bare = e.ddim50Bare?.[model]?.[batch];
        const ratio = bare?.median && s.median ? s.median / bare.median : undefined;
        const target = model === 'ldm-256' && ratio !== undefined ? `≤ 1.25×: ${verdict(ratio <= 1.25)}` : '–';
        push(`| ${model} | ${batch} | ${bare?.median ? ms(bare.median) : '–'} | ${eager ? ms(eager) : 'skipped'} | ${eager && bare?.median ? `${(eager / bare.median).toFixed(2)}×` : '–'} | ${s.skipped ? `skipped: ${s.skipped}` : ms(s.median)} | ${ratio ? `${ratio.toFixed(2)}×` : '–'} | ${target} |`);
      }
    }
    push('');
  }
  if (e.inversion300) {
    push('| GAN inversion, 300 steps | K | onnxruntime-node | steps/s | PyTorch autograd steps/s | speed-up |', '|---|---|---|---|---|---|');
    for (const [k, s] of Object.entries(e.inversion300)) {
      const eager = torch.inversion300?.[k];
      push(`| fmnist-dcgan | ${k} | ${ms(s.median)} ms | ${s.stepsPerSecond.toFixed(0)} | ${eager ? eager.stepsPerSecond.toFixed(0) : 'skipped'} | ${eager ? `${(s.stepsPerSecond / eager.stepsPerSecond).toFixed(2)}×` : '–'} |`);
    }
    push('');
  }
  if (r.previews?.length) {
    push('Step previews (`tests/bench/diffusionPreviews.perf.ts`, one process): a run\'s time per step and what it keeps, "before" decoding x_t and x̂₀ in full every step as float32 with raw x_t at every position (the sampler as first written), "after" the app\'s (previews decoded where (2 × steps + 1) × batch decodes fit 2 s at the decoder\'s measured speed, a linear latent → RGB projection past it, raw values within a budget); 50-step rows best of three rounds.', '');
    push('| model | steps × batch | before: ms/step | before: MiB | after: ms/step | after: MiB | after: previews |', '|---|---|---|---|---|---|---|');
    for (const p of r.previews) push(`| ${p.model} | ${p.steps} × ${p.batch} | ${p.beforeMsPerStep.toFixed(2)} | ${p.beforeMiB.toFixed(2)} | ${p.afterMsPerStep.toFixed(2)} | ${p.afterMiB.toFixed(2)} | ${p.previews} |`);
    push('');
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = 'bench-results/parts';
  const parts = existsSync(dir) ? Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => [f.replace('.json', ''), JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'))])) : {};
  const torch = existsSync('bench-results/torch.json') ? JSON.parse(readFileSync('bench-results/torch.json', 'utf8')) : undefined;
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}`, date: new Date().toISOString() };
  console.log(formatReport({ machine, ...parts, torch }));
}
