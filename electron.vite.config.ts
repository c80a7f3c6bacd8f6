import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';

export default defineConfig({
  main: {
    build: {
      // package.json `dependencies` (native ONNX Runtime and sharp, ws, zod) stay external and are what
      // electron-builder packs; everything in devDependencies is bundled into out/.
      // index: the Electron main process; server: browser mode under plain Node.
      rollupOptions: { input: { index: resolve('electron/main/index.ts'), server: resolve('electron/server/cli.ts') } },
    },
  },
  preload: {
    build: {
      // A sandboxed preload must be one CommonJS file with its dependencies bundled in.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    // Minified: the renderer parses about a third of the code at every start (3.4 MB unminified). NO_MINIFY=1 keeps
    // function names for CPU profiles.
    build: { minify: process.env.NO_MINIFY ? false : true, rollupOptions: { input: resolve('renderer/index.html') } },
    plugins: [react(), tailwindcss()],
    // The 3D scene's worker (views/explore/sceneWorker.tsx) is a module worker.
    worker: { format: 'es' },
  },
});
