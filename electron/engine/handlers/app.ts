import { ortVersion } from '../runtime/ort';
import type { EngineContext } from '../context';
import type { Handlers } from '../dispatch';
import type { MemoryReport } from '../../api/contract';

export function appHandlers(ctx: EngineContext): Pick<Handlers, 'app.info' | 'settings.update' | 'app.memory' | 'app.freeMemory'> {
  const settingsView = () => {
    const { provider, threads, memoryBudgetMb } = ctx.settings.get();
    return { provider, threads, memoryBudgetMb };
  };
  const memoryReport = (): MemoryReport => {
    const { rss, heapUsed, external } = process.memoryUsage();
    return { ...ctx.memory.report(), process: { rssBytes: rss, heapBytes: heapUsed, externalBytes: external } };
  };
  return {
    'app.info': async () => ({
      name: 'Latent Studio',
      version: ctx.version,
      platform: `${process.platform}-${process.arch}`,
      runtime: { library: 'onnxruntime-node', version: ortVersion, ...(ctx.automaticThreads ? { automaticThreads: ctx.automaticThreads } : {}) },
      providers: ctx.providers,
      preferredProvider: ctx.providerOrder()[0]!,
      settings: settingsView(),
      folderDialog: Boolean(ctx.pickFolder),
      documentsDir: ctx.documentsDir,
      ...ctx.host.list(),
    }),
    // null clears a setting (back to automatic); undefined leaves it as it is.
    'settings.update': async ({ provider, threads, memoryBudgetMb }) => {
      await ctx.settings.update({
        ...(provider !== undefined ? { provider: provider ?? undefined } : {}),
        ...(threads !== undefined ? { threads: threads ?? undefined } : {}),
        ...(memoryBudgetMb !== undefined ? { memoryBudgetMb: memoryBudgetMb ?? undefined } : {}),
      });
      // Sessions are made again only when how they run changed; a new budget just evicts what no longer fits.
      if (provider !== undefined || threads !== undefined) await ctx.applySettings();
      if (memoryBudgetMb !== undefined) ctx.applyMemoryBudget();
      return { settings: settingsView(), preferredProvider: ctx.providerOrder()[0]! };
    },
    'app.memory': async () => memoryReport(),
    'app.freeMemory': async () => {
      const freedBytes = ctx.memory.releaseIdle();
      return { ...memoryReport(), freedBytes };
    },
  };
}
