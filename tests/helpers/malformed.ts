import { mulberry32 } from '../../electron/common/random';

/** Seeded generator of malformed API messages: wrong envelopes, wrong types, unknown calls, bad tensors. */
export function malformedMessages(seed: number): () => unknown {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const junk = (): unknown =>
    pick([
      () => null,
      () => random() * 1e308,
      () => -1,
      () => 'x'.repeat(Math.floor(random() * 300)),
      () => [1, 'two', null],
      () => ({ nested: { deeper: [{}] } }),
      () => new Float32Array(Math.floor(random() * 10)),
      () => true,
      () => NaN,
    ])();
  const calls = ['app.info', 'model.decode', 'model.encode', 'dataset.images', 'dataset.encode', 'image.import', 'project.open', 'latent.interpolate', 'gan.invert', 'no.such.call', '__proto__', 'constructor'];
  return () =>
    pick([
      () => junk(),
      () => ({ type: 'call', id: junk(), name: pick(calls), args: {} }),
      () => ({ type: pick(['call', 'result', 'exec', 'cancel', '']), id: Math.floor(random() * 1000), name: pick(calls) }),
      () => ({ type: 'call', id: Math.floor(random() * 1e6), name: pick(calls), args: junk() }),
      () => ({ type: 'call', id: Math.floor(random() * 1e6), name: 'model.decode', args: { model: 'fmnist-vae', z: { dtype: 'float32', shape: [1, 16], data: junk() } } }),
      () => ({ type: 'call', id: Math.floor(random() * 1e6), name: 'model.decode', args: { model: pick(['fmnist-vae', 'nope', '../etc', '']), z: { dtype: 'float32', shape: [Math.floor(random() * 3), 16], data: new Float32Array(7) } } }),
      () => ({ type: 'call', id: Math.floor(random() * 1e6), name: 'dataset.images', args: { indices: [junk()] } }),
      () => ({ type: 'call', id: Math.floor(random() * 1e6), name: 'project.open', args: { path: junk() } }),
      () => ({ type: 'call', id: Math.floor(random() * 1e6), name: 'app.info', args: { extra: junk() } }),
    ])();
}
