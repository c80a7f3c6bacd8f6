import { BrowserWindow, shell } from 'electron';

/** The renderer is served from this custom origin, never from file://. */
export const APP_ORIGIN = 'app://studio';

/** Links that may open in the user's browser; everything else is refused. */
const EXTERNAL_ALLOW_LIST = ['https://github.com/', 'https://onnxruntime.ai/'];

export function isAllowedExternalUrl(url: string): boolean {
  return EXTERNAL_ALLOW_LIST.some((prefix) => url.startsWith(prefix));
}

export function createMainWindow(preloadPath: string): BrowserWindow {
  // The options stay literal here so the security scan (scripts/security-scan.mjs) reads them.
  // Its justifications carry @preserve so the bundler keeps them for the scan of the built output.
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    backgroundColor: '#0f1115',
    title: 'Latent Studio',
    show: false,
    webPreferences: {
      /* eng-disable PRELOAD_JS_CHECK because it exposes only the contract's named calls @preserve */ preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      // Middle-click would otherwise open a link in a new window.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  const contents = window.webContents;
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    /* eng-disable OPEN_EXTERNAL_JS_CHECK because only allow-listed https prefixes reach it @preserve */ if (isAllowedExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(`${APP_ORIGIN}/index.html`);
  return window;
}
