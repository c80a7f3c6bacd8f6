import { exportGif } from '../ops/gif';
import { exportPng, importImage } from '../ops/imageIO';
import { applyEditsToMany } from '../ops/batchEdit';
import type { EngineContext } from '../context';
import type { Handlers } from '../dispatch';

export function imageHandlers(ctx: EngineContext): Pick<Handlers, 'image.import' | 'image.exportPng' | 'image.exportGif' | 'edit.applyBatch'> {
  return {
    'edit.applyBatch': async ({ model, source, edits, output, scale, smooth }, call) => {
      const from = source.kind === 'dataset' ? { kind: 'dataset' as const, dataset: await ctx.datasets.get(source.dataset), indices: source.indices } : source;
      const job = { signal: call.signal, progress: (p: { done: number; total: number; skipped?: number }) => call.progress({ ...p, skipped: p.skipped ?? 0 }) };
      const result = await applyEditsToMany(ctx.host, model, from, edits, output, { scale, smooth }, job);
      return { ...result, skipped: result.skipped.slice(0, 1000), skippedCount: result.skipped.length };
    },
    'image.import': async ({ bytes, name, model, fit, invert }) => {
      const { channels, height, width } = ctx.host.model(model).manifest.image;
      return importImage(bytes, { channels, height, width }, fit, invert, name);
    },
    'image.exportPng': async ({ image, scale, smooth, metadata, original }) => ({ png: await exportPng(image, { scale, smooth, metadata, original }) }),
    'image.exportGif': async ({ frames, scale, frameMs }) => ({ gif: await exportGif(frames, scale, frameMs) }),
  };
}
