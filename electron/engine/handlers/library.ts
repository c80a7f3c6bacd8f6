import { join, resolve } from 'node:path';
import { buildPcaModel } from '../ops/pcaModel';
import { existsSync, statSync } from 'node:fs';
import { ApiError } from '../../api/errors';
import type { EngineContext } from '../context';
import type { Handlers } from '../dispatch';

export function libraryHandlers(ctx: EngineContext): Pick<
  Handlers,
  'model.list' | 'library.addFolder' | 'library.removeFolder' | 'library.pickFolder' | 'library.makePca' | 'model.load' | 'model.unload'
> {
  const reload = async (userFolders: string[]) => {
    await ctx.settings.update({ userModelFolders: userFolders });
    await ctx.host.loadFolders([{ path: ctx.paths.models, source: 'bundled' }, ...userFolders.map((path) => ({ path, source: 'user' as const }))]);
    await ctx.host.verifyUserModels();
    return ctx.host.list();
  };
  return {
    'model.list': async () => ctx.host.list(),
    'library.addFolder': async ({ path }) => {
      const folder = resolve(path);
      if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new ApiError('not-found', `${folder} is not a folder`, 'args.path');
      const folders = ctx.settings.get().userModelFolders;
      return reload(folders.includes(folder) ? folders : [...folders, folder]);
    },
    'library.removeFolder': async ({ path }) => {
      const folder = resolve(path);
      const folders = ctx.settings.get().userModelFolders;
      if (!folders.includes(folder)) throw new ApiError('not-found', `${folder} is not among the added folders`, 'args.path');
      return reload(folders.filter((f) => f !== folder));
    },
    'library.makePca': async ({ latent }, job) => {
      // Models the app makes live in one folder of its own, added to the library like a user's.
      const parent = join(ctx.configDir, 'generated-models');
      const made = await buildPcaModel(await ctx.dataset(), latent, parent, job);
      const folders = ctx.settings.get().userModelFolders;
      const library = await reload(folders.includes(parent) ? folders : [...folders, parent]);
      return { library, model: made.id, explained: made.explained, psnr: made.psnr };
    },
    'library.pickFolder': async () => {
      if (!ctx.pickFolder) throw new ApiError('bad-request', 'folder dialogs exist only in the desktop app; type the folder path instead');
      return { path: await ctx.pickFolder() };
    },
    'model.load': async ({ model }) => {
      await ctx.host.load(model);
      return ctx.host.list().models.find((m) => m.id === model)!;
    },
    'model.unload': async ({ model }) => {
      ctx.host.model(model);
      return { released: await ctx.host.unload(model) };
    },
  };
}
