import { ortVersion } from '../runtime/ort';
import type { EngineContext } from '../context';
import type { Handlers } from '../dispatch';

export function appHandlers(ctx: EngineContext): Pick<Handlers, 'app.info' | 'settings.update'> {
  return {
    'app.info': async () => ({
      name: 'Latent Studio',
      version: ctx.version,
      platform: `${process.platform}-${process.arch}`,
      runtime: { library: 'onnxruntime-node', version: ortVersion },
      providers: ctx.providers,
      preferredProvider: ctx.providerOrder()[0]!,
      settings: { provider: ctx.settings.get().provider, threads: ctx.settings.get().threads },
      folderDialog: Boolean(ctx.pickFolder),
      documentsDir: ctx.documentsDir,
      ...ctx.host.list(),
    }),
    // null clears a setting (back to automatic); undefined leaves it as it is.
    'settings.update': async ({ provider, threads }) => {
      const settings = await ctx.settings.update({
        ...(provider !== undefined ? { provider: provider ?? undefined } : {}),
        ...(threads !== undefined ? { threads: threads ?? undefined } : {}),
      });
      await ctx.applySettings();
      return { settings: { provider: settings.provider, threads: settings.threads }, preferredProvider: ctx.providerOrder()[0]! };
    },
  };
}
