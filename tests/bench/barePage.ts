import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { pause } from './harness';

/**
 * A Chromium page driven over the DevTools protocol with nothing but Runtime and Input: no Network domain. Playwright
 * enables Network on every page it drives, and Chromium then copies each WebSocket message to the client, base64 and
 * all: receiving one 786 KB message (a 512 px picture as 8-bit planes) took 19.9 ms of the page's main thread under
 * Playwright against 5.3 ms in a Chromium no client watched (3 MB: 68 against 13.8 ms), and the browser process's
 * main thread relayed it besides. No person's browser does that work, so rows that time the app's own frames through
 * the socket at large sizes drive such a page.
 */
export class BarePage {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private pointer = { x: 0, y: 0, pressed: false };

  private constructor(
    private readonly chromium: ChildProcess,
    private readonly profile: string,
    private readonly socket: WebSocket,
    private sessionId = '',
  ) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      const call = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id!);
      if (message.error) call.reject(new Error(message.error.message));
      else call.resolve(message.result);
    });
  }

  /**
   * Launches a headless Chromium of its own with `args` and opens `url` in a page of `viewport`'s size; `init`, where
   * given, runs in the page before its own scripts (as Playwright's addInitScript).
   */
  static async open(executablePath: string, args: string[], url: string, viewport = { width: 1280, height: 900 }, init?: () => void): Promise<BarePage> {
    const profile = mkdtempSync(join(tmpdir(), 'bench-bare-chromium-'));
    const chromium = spawn(
      executablePath,
      ['--headless=new', '--remote-debugging-port=0', `--user-data-dir=${profile}`, '--no-sandbox', '--no-default-browser-check',
        // As Playwright launches it: a page in the background is not throttled.
        '--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows', '--disable-renderer-backgrounding',
        ...args, 'about:blank'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const endpoint = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`Chromium gave no DevTools address: ${text}`)), 30_000);
      chromium.stderr!.on('data', (chunk: Buffer) => {
        text += String(chunk);
        const found = /DevTools listening on (ws:\/\/\S+)/.exec(text);
        if (found) {
          clearTimeout(timer);
          resolve(found[1]!);
        }
      });
      chromium.once('exit', (code) => reject(new Error(`Chromium exited (${code}): ${text}`)));
    });
    const socket = new WebSocket(endpoint, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const page = new BarePage(chromium, profile, socket);
    const { targetId } = (await page.send('Target.createTarget', { url: 'about:blank' }, false)) as { targetId: string };
    page.sessionId = ((await page.send('Target.attachToTarget', { targetId, flatten: true }, false)) as { sessionId: string }).sessionId;
    await page.send('Emulation.setDeviceMetricsOverride', { ...viewport, deviceScaleFactor: 1, mobile: false });
    if (init) {
      // The Page domain (navigation events, none of the socket's data) has to be on for scripts on new documents.
      await page.send('Page.enable');
      await page.send('Page.addScriptToEvaluateOnNewDocument', { source: `(${init.toString()})()` });
    }
    await page.send('Page.navigate', { url });
    await page.waitFor(() => document.readyState === 'complete', undefined, 30_000);
    return page;
  }

  /** One DevTools call, to the page's session unless `toPage` is false. */
  send(method: string, params: Record<string, unknown> = {}, toPage = true): Promise<unknown> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ id, method, params, ...(toPage ? { sessionId: this.sessionId } : {}) }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  /** Runs `fn(arg)` in the page and returns its (awaited) value. */
  async evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R> {
    const { result, exceptionDetails } = (await this.send('Runtime.evaluate', { expression: `(${fn.toString()})(${JSON.stringify(arg)})`, awaitPromise: true, returnByValue: true })) as {
      result: { value: R };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (exceptionDetails) throw new Error(`in the page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    return result.value;
  }

  /** Resolves once `fn(arg)` is truthy in the page, polled on a 10 ms timer (never every frame: that makes frames). */
  async waitFor<A>(fn: (arg: A) => unknown, arg: A, timeoutMs = 10_000): Promise<void> {
    const poll = `new Promise((resolve, reject) => {
      const started = performance.now();
      const tick = () => {
        let done;
        try { done = (${fn.toString()})(${JSON.stringify(arg)}); } catch (e) { return reject(e); }
        if (done) return resolve(true);
        if (performance.now() - started > ${timeoutMs}) return reject(new Error('timed out after ${timeoutMs} ms waiting for ' + ${JSON.stringify(fn.toString().slice(0, 120))}));
        setTimeout(tick, 10);
      };
      tick();
    })`;
    const { exceptionDetails } = (await this.send('Runtime.evaluate', { expression: poll, awaitPromise: true, returnByValue: true })) as { exceptionDetails?: { exception?: { description?: string }; text: string } };
    if (exceptionDetails) throw new Error(`in the page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
  }

  /** Moves the mouse to (x, y) in `steps` even moves, with the left button held if it is pressed. */
  async move(x: number, y: number, steps = 1): Promise<void> {
    const from = { ...this.pointer };
    for (let i = 1; i <= steps; i++) {
      this.pointer.x = from.x + ((x - from.x) * i) / steps;
      this.pointer.y = from.y + ((y - from.y) * i) / steps;
      await this.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x: this.pointer.x, y: this.pointer.y, ...(this.pointer.pressed ? { button: 'left', buttons: 1 } : { button: 'none', buttons: 0 }) });
    }
  }

  async down(): Promise<void> {
    this.pointer.pressed = true;
    await this.send('Input.dispatchMouseEvent', { type: 'mousePressed', x: this.pointer.x, y: this.pointer.y, button: 'left', buttons: 1, clickCount: 1 });
  }

  async up(): Promise<void> {
    this.pointer.pressed = false;
    await this.send('Input.dispatchMouseEvent', { type: 'mouseReleased', x: this.pointer.x, y: this.pointer.y, button: 'left', buttons: 0, clickCount: 1 });
  }

  /** Presses and releases a key in the focused element. */
  async press(key: 'ArrowLeft' | 'ArrowRight' | 'PageDown'): Promise<void> {
    const keyCode = { ArrowLeft: 37, ArrowRight: 39, PageDown: 34 }[key];
    for (const type of ['rawKeyDown', 'keyUp']) await this.send('Input.dispatchKeyEvent', { type, key, code: key, windowsVirtualKeyCode: keyCode, nativeVirtualKeyCode: keyCode });
  }

  /** Gives the file input `selector` these files, as a person choosing them does (its input and change events follow). */
  async setInputFiles(selector: string, files: string[]): Promise<void> {
    const { result } = (await this.send('Runtime.evaluate', { expression: `document.querySelector(${JSON.stringify(selector)})` })) as { result: { objectId?: string } };
    if (!result.objectId) throw new Error(`no element ${selector}`);
    await this.send('DOM.setFileInputFiles', { files, objectId: result.objectId });
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => (this.chromium.exitCode !== null ? resolve(undefined) : this.chromium.once('exit', resolve)));
    // Closed as a person closes it, so the page's socket ends as a window's does; killed if that takes long.
    await Promise.race([this.send('Browser.close', {}, false).catch(() => {}), pause(5000)]);
    const killer = setTimeout(() => this.chromium.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
    this.socket.close();
    // Chromium's helpers may still be writing to the profile for a moment after the browser exits.
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

/**
 * Page-side helpers for a BarePage, by accessible name as a person reads the page: controls by aria-label or by the
 * text of the label around them, buttons and tabs by aria-label or text. Installed as `window.__ui`.
 */
export function installUi(): void {
  const named = (el: Element) => (el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
  const control = (name: string): HTMLInputElement | HTMLSelectElement => {
    const byAria = Array.from(document.querySelectorAll('input,select')).find((el) => el.getAttribute('aria-label') === name && (el as HTMLElement).offsetParent !== null);
    const byLabel = Array.from(document.querySelectorAll('label')).find((l) => l.textContent?.trim().startsWith(name) && l.querySelector('input,select'))?.querySelector('input,select');
    const found = byAria ?? byLabel;
    if (!found) throw new Error(`no control named ${name}`);
    return found as HTMLInputElement | HTMLSelectElement;
  };
  // React tracks a control's value through the element's own setter: set it through the prototype's, then tell it.
  const setValue = (el: HTMLInputElement | HTMLSelectElement, value: string, event: string) => {
    Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el) as object, 'value')!.set!.call(el, value);
    el.dispatchEvent(new Event(event, { bubbles: true }));
  };
  // As Playwright's getByRole: the name exactly, else one that begins with it ("Discard" for 'Discard “Untitled”'); shown and enabled.
  const clickable = (name: string) => {
    const buttons = Array.from(document.querySelectorAll<HTMLButtonElement>('button,[role="tab"]')).filter((b) => b.offsetParent !== null && !b.disabled);
    return buttons.find((b) => named(b) === name) ?? buttons.find((b) => named(b).startsWith(`${name} `));
  };
  const ui = {
    exists: (selector: string) => !!document.querySelector(selector),
    hasControl: (name: string) => {
      try {
        control(name);
        return true;
      } catch {
        return false;
      }
    },
    options: (name: string) => Array.from((control(name) as HTMLSelectElement).options).map((o) => o.textContent ?? ''),
    hasOption: (name: string, label: string) => {
      try {
        return Array.from((control(name) as HTMLSelectElement).options).some((o) => o.textContent === label);
      } catch {
        return false;
      }
    },
    selectValue: (name: string, value: string) => setValue(control(name) as HTMLSelectElement, value, 'change'),
    select: (name: string, label: string) => {
      const select = control(name) as HTMLSelectElement;
      const option = Array.from(select.options).find((o) => o.textContent === label);
      if (!option) throw new Error(`no option ${label} in ${name}`);
      setValue(select, option.value, 'change');
    },
    fill: (name: string, value: string) => setValue(control(name) as HTMLInputElement, value, 'input'),
    canClick: (name: string) => !!clickable(name),
    click: (name: string) => {
      const target = clickable(name);
      if (!target) throw new Error(`no button named ${name}`);
      target.click();
    },
  };
  (window as unknown as { __ui: typeof ui }).__ui = ui;
}
export type PageUi = {
  exists(selector: string): boolean;
  hasControl(name: string): boolean;
  options(name: string): string[];
  hasOption(name: string, label: string): boolean;
  select(name: string, label: string): void;
  selectValue(name: string, value: string): void;
  fill(name: string, value: string): void;
  click(name: string): void;
  canClick(name: string): boolean;
};
