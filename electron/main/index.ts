import { app, BrowserWindow, dialog, session } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../engine/engine';
import { startRuntime } from '../engine/runtime/remoteSessions';
import { appPaths } from '../engine/paths';
import { wireIpc } from './ipc';
import { registerAppScheme, serveRenderer } from './protocol';
import { createMainWindow } from './window';

// Electron's security checklist: sandbox every renderer, refuse what the app never uses.
app.enableSandbox();
registerAppScheme();

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

async function start(): Promise<void> {
  await app.whenReady();
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  const paths = appPaths(app.getAppPath());
  serveRenderer(paths.renderer);
  const engine = await createEngine({
    paths,
    configDir: app.getPath('userData'),
    documentsDir: app.getPath('documents'),
    pickFolder: async () => {
      const window = BrowserWindow.getFocusedWindow();
      const options = { title: 'Add a model folder', properties: ['openDirectory' as const] };
      const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    pickProjectPath: async (mode, suggestedName) => {
      const window = BrowserWindow.getFocusedWindow() ?? undefined;
      const filters = [{ name: 'Latent Studio project', extensions: ['lsproj'] }];
      if (mode === 'open') {
        const result = await dialog.showOpenDialog(window!, { title: 'Open project', properties: ['openFile'], filters });
        return result.canceled ? null : (result.filePaths[0] ?? null);
      }
      const result = await dialog.showSaveDialog(window!, { title: 'Save project', defaultPath: join(app.getPath('documents'), `${suggestedName ?? 'Untitled'}.lsproj`), filters });
      return result.canceled ? null : (result.filePath ?? null);
    },
  });
  wireIpc(engine);
  createMainWindow(join(fileURLToPath(new URL('.', import.meta.url)), '../preload/index.cjs'));
  // ONNX Runtime sets itself up on its thread while the window loads.
  startRuntime();
  app.on('window-all-closed', () => {
    void engine.dispose().finally(() => app.quit());
  });
}

start().catch((error: Error) => {
  console.error(`Latent Studio failed to start: ${error.message}`);
  app.exit(1);
});
