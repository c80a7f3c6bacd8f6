/**
 * The contract's call names with no schema attached, for the preload: it
 * exposes one function per name and must stay small (no zod in the sandbox).
 * contract.ts checks at compile time that this list and its calls agree.
 */
export const CALL_NAMES = [
  'app.info',
  'settings.update',
  'model.list',
  'library.addFolder',
  'library.removeFolder',
  'library.pickFolder',
  'model.load',
  'model.unload',
  'model.decode',
  'model.encode',
  'model.denoise',
  'model.classify',
  'image.import',
  'image.exportPng',
  'image.exportGif',
  'latent.interpolate',
  'latent.neighbors',
  'latent.typicality',
  'dataset.project',
  'diffusion.schedule',
  'diffusion.forward',
  'diffusion.sample',
  'gan.invert',
  'direction.meanDifference',
  'direction.boundary',
  'direction.principal',
  'dataset.info',
  'dataset.images',
  'dataset.encode',
] as const;
