import { exportGif } from '../ops/gif';
import { exportPng, importImage } from '../ops/imageIO';
import type { EngineContext } from '../context';
import type { Handlers } from '../dispatch';

export function imageHandlers(ctx: EngineContext): Pick<Handlers, 'image.import' | 'image.exportPng' | 'image.exportGif'> {
  return {
    'image.import': async ({ bytes, name, model, fit, invert }) => {
      const { channels, height, width } = ctx.host.model(model).manifest.image;
      return importImage(bytes, { channels, height, width }, fit, invert, name);
    },
    'image.exportPng': async ({ image, scale, smooth, metadata, original }) => ({ png: await exportPng(image, { scale, smooth, metadata, original }) }),
    'image.exportGif': async ({ frames, scale, frameMs }) => ({ gif: exportGif(frames, scale, frameMs) }),
  };
}
