import { create } from 'zustand';
import type { CallResult, ModelLibrary, ModelProblem, ModelSummary } from '../../../electron/api/contract';
import type { StudioClient } from '../../../electron/api/client';

export const VIEWS = [
  { id: 'explore', label: 'Explore', hint: 'The dataset in 3D latent space' },
  { id: 'interpolate', label: 'Interpolate', hint: 'Walk between images' },
  { id: 'edit', label: 'Edit', hint: 'Move an image along attribute directions' },
  { id: 'invert', label: 'Invert', hint: 'Find the latent code of your own image' },
  { id: 'diffuse', label: 'Diffuse', hint: 'Watch diffusion step by step' },
  { id: 'models', label: 'Models', hint: 'The model library' },
] as const;
export type ViewId = (typeof VIEWS)[number]['id'];

interface AppState {
  client?: StudioClient;
  info?: CallResult<'app.info'>;
  models: ModelSummary[];
  problems: ModelProblem[];
  connectionError?: string;
  view: ViewId;
  setView(view: ViewId): void;
  connected(client: StudioClient, info: CallResult<'app.info'>): void;
  failed(message: string): void;
  libraryChanged(library: ModelLibrary): void;
  /** Asks the engine for app.info again (after settings change). */
  refreshInfo(): Promise<void>;
}

const viewFromHash = (): ViewId => {
  const fromHash = window.location.hash.replace('#', '');
  return VIEWS.some((v) => v.id === fromHash) ? (fromHash as ViewId) : 'explore';
};

export const useAppStore = create<AppState>((set, get) => ({
  models: [],
  problems: [],
  view: viewFromHash(),
  setView: (view) => {
    window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#${view}`);
    set({ view });
  },
  connected: (client, info) => set({ client, info, models: info.models, problems: info.problems, connectionError: undefined }),
  failed: (message) => set({ connectionError: message }),
  libraryChanged: ({ models, problems, userFolders }) => set((s) => ({ models: keepUnchanged(s.models, models), problems, info: s.info && { ...s.info, userFolders } })),
  refreshInfo: async () => {
    const client = get().client;
    if (client) get().connected(client, await client.invoke('app.info', {}));
  },
}));

/**
 * The new library's summaries, with each one equal to its predecessor replaced by that predecessor. Every model that
 * loads sends the whole library again; views keyed on a summary object would otherwise ask again for what they have
 * (at start-up each sample grid was requested once per model loaded).
 */
export function keepUnchanged(before: readonly ModelSummary[], after: ModelSummary[]): ModelSummary[] {
  const previous = new Map(before.map((m) => [m.id, m]));
  return after.map((m) => {
    const old = previous.get(m.id);
    return old && JSON.stringify(old) === JSON.stringify(m) ? old : m;
  });
}

/** The provider sessions actually run on, once a model has loaded; the preferred one until then. */
export function providerInUse(state: Pick<AppState, 'models' | 'info'>): { name: string; confirmed: boolean } | undefined {
  const loaded = state.models.find((m) => m.provider);
  if (loaded?.provider) return { name: loaded.provider, confirmed: true };
  return state.info ? { name: state.info.preferredProvider, confirmed: false } : undefined;
}

// In browser mode a view typed into the address bar, or reached with Back and Forward, switches the view.
window.addEventListener('hashchange', () => {
  const view = viewFromHash();
  if (view !== useAppStore.getState().view) useAppStore.setState({ view });
});
