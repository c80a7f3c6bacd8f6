import { ApiError } from '../../api/errors';
import type { EngineContext } from '../context';
import type { Handlers } from '../dispatch';

export function projectHandlers(
  ctx: EngineContext,
): Pick<Handlers, 'project.save' | 'project.open' | 'project.recent' | 'project.autosave' | 'project.recovery' | 'project.discardRecovery' | 'project.pickPath'> {
  const store = ctx.projects;
  return {
    'project.save': ({ path, project, session }) => store.save(path, project, session),
    'project.open': ({ path }) => store.open(path),
    'project.recent': async () => ({ projects: store.recent() }),
    'project.autosave': ({ session, project }, { client }) => store.autosave(session, client, project),
    'project.recovery': async ({ session }, { client }) => ({ sessions: await store.recovery(session, client) }),
    'project.discardRecovery': async ({ session }) => {
      store.discardRecovery(session);
      return {};
    },
    'project.pickPath': async ({ mode, suggestedName }) => {
      if (!ctx.pickProjectPath) throw new ApiError('bad-request', 'file dialogs exist only in the desktop app; type the path instead');
      return { path: await ctx.pickProjectPath(mode, suggestedName) };
    },
  };
}
