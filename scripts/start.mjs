// `npm start`: build, then open the desktop app; where Electron cannot run,
// say so in one line and start browser mode instead.
import { spawn, spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { electronBinary, hasDisplay } from './electron-binary.mjs';

const { values } = parseArgs({
  options: { browser: { type: 'boolean', default: false }, port: { type: 'string' }, 'skip-build': { type: 'boolean', default: false } },
});

if (!values['skip-build']) {
  const build = spawnSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('Latent Studio: the build failed; see the messages above.');
    process.exit(build.status ?? 1);
  }
}

const electron = electronBinary();
const why = values.browser ? undefined : 'path' in electron ? (hasDisplay() ? undefined : 'no display is available') : electron.reason;

const child =
  !values.browser && !why
    ? spawn(electron.path, ['.'], { stdio: 'inherit' })
    : (() => {
        if (why) console.log(`Electron is unavailable here: ${why}. Starting browser mode instead.`);
        const args = ['out/main/server.js', ...(values.port ? ['--port', values.port] : [])];
        return spawn(process.execPath, args, { stdio: 'inherit' });
      })();

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
