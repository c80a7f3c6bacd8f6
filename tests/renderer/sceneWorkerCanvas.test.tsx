// @vitest-environment jsdom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Encoding } from '../../renderer/src/state/latentStore';
import { LatentScene, type LatentSceneProps } from '../../renderer/src/views/explore/LatentScene';
import type { FromSceneWorker, ToSceneWorker } from '../../renderer/src/views/explore/sceneProtocol';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/**
 * The page's half of the worker-drawn scene, in jsdom: what it sends the worker and what it does with the answers. The
 * worker itself (WebGL on an OffscreenCanvas) runs in the e2e suite, in Chromium.
 */

/** Stands in for the browser's Worker: records what the page posts and lets a test answer. */
class RecordingWorker {
  static last: RecordingWorker | undefined;
  readonly messages: ToSceneWorker[] = [];
  readonly transfers: Transferable[][] = [];
  onmessage: ((event: MessageEvent<FromSceneWorker>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  constructor(readonly url: URL) {
    RecordingWorker.last = this;
  }
  postMessage(message: ToSceneWorker, transfer: Transferable[] = []) {
    this.messages.push(message);
    this.transfers.push(transfer);
  }
  answer(message: FromSceneWorker) {
    this.onmessage?.({ data: message } as MessageEvent<FromSceneWorker>);
  }
  take(): ToSceneWorker[] {
    return this.messages.splice(0);
  }
}

class FakeOffscreenCanvas {}

beforeAll(() => {
  vi.stubGlobal('Worker', RecordingWorker);
  vi.stubGlobal('OffscreenCanvas', FakeOffscreenCanvas);
  vi.stubGlobal(
    'ResizeObserver',
    class {
      observe() {}
      disconnect() {}
    },
  );
  HTMLCanvasElement.prototype.transferControlToOffscreen = function () {
    return new FakeOffscreenCanvas() as OffscreenCanvas;
  };
});

const encoding = (dim: number): Encoding => ({
  dim,
  codes: new Float32Array(4 * dim),
  labels: [0, 1, 0, 1],
  mean: new Float32Array(dim),
  rank: 3,
  components: new Float32Array(3 * dim),
  explained: [0.5, 0.3, 0.2],
  coords: new Float32Array(12),
});

let root: Root | undefined;
afterEach(() => {
  act(() => root?.unmount());
  root = undefined;
  // One worker draws every scene of a page: what the last test's scene sent at its end is not the next test's.
  RecordingWorker.last?.take();
});

function mount(props: LatentSceneProps) {
  const host = document.createElement('div');
  document.body.appendChild(host);
  root = createRoot(host);
  act(() => root!.render(<LatentScene {...props} />));
  return (next: LatentSceneProps) => act(() => root!.render(<LatentScene {...next} />));
}

describe('the explorer scene drawn by a worker', () => {
  const axes = [0, 1, 2] as const;
  const hiddenClasses: number[] = [];

  it('hands its canvas over, sends the encoding without its codes, and then only the parts of the view that change', () => {
    const path = new Float32Array(32 * 4096);
    const data = encoding(4096);
    // The markers' arrays as the store keeps them: the same array until it changes.
    const [selection, neighbors, imported] = [[], [], []];
    const base = { encoding: data, axes, hiddenClasses, onHover: vi.fn(), onPick: vi.fn() };
    const rerender = mount({ ...base, markers: { selection, neighbors, hovered: null, imported, path } });
    const worker = RecordingWorker.last!;
    const sent = worker.take();
    expect(sent.map((m) => m.type)).toEqual(['init', 'encoding', 'view']);
    const init = sent[0] as Extract<ToSceneWorker, { type: 'init' }>;
    expect(worker.transfers[0]).toEqual([init.canvas]);
    const encodingMessage = sent[1] as Extract<ToSceneWorker, { type: 'encoding' }>;
    expect(Object.keys(encodingMessage.encoding).sort()).toEqual(['components', 'coords', 'dim', 'labels', 'mean', 'rank']);
    const view = (sent[2] as Extract<ToSceneWorker, { type: 'view' }>).patch;
    expect(view.path).toBe(path);
    expect(view.listens).toEqual({ hover: true, pick: true, cursor: false, labels: false });

    // A hover makes a new markers object; only the hovered point travels, not the path of 32 large codes.
    rerender({ ...base, markers: { selection, neighbors, hovered: 2, imported, path } });
    const hover = worker.take();
    expect(hover).toHaveLength(1);
    expect(hover[0]).toMatchObject({ type: 'view', patch: { hovered: 2 } });
    expect(Object.keys((hover[0] as Extract<ToSceneWorker, { type: 'view' }>).patch)).toEqual(['hovered']);

    // The same view again sends nothing.
    rerender({ ...base, markers: { selection, neighbors, hovered: 2, imported, path } });
    expect(worker.take()).toEqual([]);
    rerender({ ...base, markers: { selection: [2], neighbors, hovered: 2, imported, path } });
    expect(worker.take()).toEqual([{ type: 'view', id: (sent[0] as Extract<ToSceneWorker, { type: 'init' }>).id, patch: { selection: [2] } }]);
  });

  it("calls the view's latest handlers with the worker's hovers and picks, and disposes of its scene when it goes", () => {
    const first = { onHover: vi.fn(), onPick: vi.fn() };
    const later = { onHover: vi.fn(), onPick: vi.fn() };
    const markers = { selection: [], neighbors: [], hovered: null, imported: [] };
    const data = encoding(8);
    const rerender = mount({ encoding: data, axes, hiddenClasses, markers, ...first });
    const worker = RecordingWorker.last!;
    const { id, seq } = worker.take().find((m) => m.type === 'encoding') as Extract<ToSceneWorker, { type: 'encoding' }>;
    rerender({ encoding: data, axes, hiddenClasses, markers, ...later });
    act(() => worker.answer({ type: 'hover', id, seq, index: 3 }));
    act(() => worker.answer({ type: 'pick', id, seq, index: 1, add: true }));
    // Another scene's answers are not this one's.
    act(() => worker.answer({ type: 'hover', id: id + 100, seq, index: 0 }));
    expect(first.onHover).not.toHaveBeenCalled();
    expect(later.onHover.mock.calls).toEqual([[3]]);
    expect(later.onPick.mock.calls).toEqual([[1, true]]);

    act(() => root!.unmount());
    root = undefined;
    expect(worker.take()).toContainEqual({ type: 'dispose', id });
  });

  it("drops a hover or pick in the previous model's cloud once another model's encoding is sent", () => {
    const handlers = { onHover: vi.fn(), onPick: vi.fn() };
    const markers = { selection: [], neighbors: [], hovered: null, imported: [] };
    const rerender = mount({ encoding: encoding(8), axes, hiddenClasses, markers, ...handlers });
    const worker = RecordingWorker.last!;
    const before = worker.take().find((m) => m.type === 'encoding') as Extract<ToSceneWorker, { type: 'encoding' }>;
    rerender({ encoding: encoding(16), axes, hiddenClasses, markers, ...handlers });
    const after = worker.take().find((m) => m.type === 'encoding') as Extract<ToSceneWorker, { type: 'encoding' }>;
    expect(after.seq).toBeGreaterThan(before.seq);
    // The worker had not drawn the new cloud yet when the pointer went over a point of the old one: index 9000 of a
    // 10,000-point dataset would be no image of the new one's, or the wrong one.
    act(() => worker.answer({ type: 'hover', id: before.id, seq: before.seq, index: 9000 }));
    act(() => worker.answer({ type: 'pick', id: before.id, seq: before.seq, index: 9000, add: false }));
    expect(handlers.onHover).not.toHaveBeenCalled();
    expect(handlers.onPick).not.toHaveBeenCalled();
    act(() => worker.answer({ type: 'pick', id: after.id, seq: after.seq, index: 2, add: false }));
    expect(handlers.onPick.mock.calls).toEqual([[2, false]]);
  });

  it('places the direction labels where the worker says the arrow tips are', () => {
    const markers = { selection: [], neighbors: [], hovered: null, imported: [], directions: [{ name: 'Sneaker → Boot', vector: new Float32Array(8) }] };
    mount({ encoding: encoding(8), axes, hiddenClasses, markers });
    const worker = RecordingWorker.last!;
    const init = worker.take().find((m) => m.type === 'init') as Extract<ToSceneWorker, { type: 'init' }>;
    const label = document.querySelector<HTMLElement>('[data-testid="direction-label"]')!;
    expect(label.style.visibility).toBe('hidden');
    act(() => worker.answer({ type: 'labels', id: init.id, anchors: [{ x: 120, y: 40, hidden: false }] }));
    expect(label.style.visibility).toBe('visible');
    expect(label.style.transform).toBe('translate(126px, 40px)');
  });
});
