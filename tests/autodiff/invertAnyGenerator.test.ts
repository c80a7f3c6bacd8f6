import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Tensor } from '../../electron/api/tensor';
import { buildGradientGraph } from '../../electron/engine/autodiff/differentiate';
import type { Manifest } from '../../electron/engine/models/manifest';
import { ModelHost } from '../../electron/engine/models/host';
import { readManifest } from '../../electron/engine/models/registry';
import { inversionGraph } from '../../electron/engine/ops/gradientGraphs';
import { DEFAULT_INVERSION, invertImage, type InversionProgress } from '../../electron/engine/ops/inversion';
import { toUnitRange } from '../../electron/engine/ops/imageRange';
import { ort } from '../../electron/engine/runtime/ort';
import { SessionCache, runGraph } from '../../electron/engine/runtime/sessions';
import { paths, repoRoot } from '../helpers/engine';
import { checkGradient } from '../helpers/gradientCheck';
import { buildModel, seeded } from '../helpers/onnxGraphs';
import { parityErrors, relativeMaxError } from '../helpers/parity';

const fixture = join(repoRoot, 'tests', 'fixtures', 'models', 'stylegan-tiny');
const never: { signal: AbortSignal; progress(p: InversionProgress): void } = { signal: new AbortController().signal, progress: () => {} };

describe('the StyleGAN-style fixture', () => {
  const sessions = new SessionCache({ providers: ['cpu'], intraOpNumThreads: 2 });
  afterAll(() => sessions.releaseAll());

  it('runs in ONNX Runtime as in PyTorch (parity within 1e-4 for every graph)', async () => {
    const { manifest } = (await readManifest(fixture)) as { manifest: Manifest };
    expect(Object.keys(manifest.graphs).sort()).toEqual(['generator', 'mapping', 'synthesis']);
    const errors = await parityErrors(fixture);
    expect(Object.keys(errors)).toEqual(['generator x', 'mapping w', 'synthesis x']);
    for (const [output, error] of Object.entries(errors)) expect(error, output).toBeLessThan(1e-4);
  });

  it('and its 256×256 sibling, the speed fixture of the benchmarks, runs as in PyTorch too (parity within 1e-4)', async () => {
    const errors = await parityErrors(join(repoRoot, 'tests', 'fixtures', 'models', 'stylegan-256'));
    expect(Object.keys(errors)).toEqual(['generator x', 'mapping w', 'synthesis x']);
    for (const [output, error] of Object.entries(errors)) expect(error, output).toBeLessThan(1e-4);
  });

  // PyTorch autograd in float64 on the same weights (gradients.json, written by build_fixtures.py).
  const reference = JSON.parse(readFileSync(join(fixture, 'gradients.json'), 'utf8')) as Record<string, { input: Encoded; target: Encoded; loss: number; grad: Encoded }>;
  const graphs = { z: 'generator.onnx', 'w+': 'synthesis.onnx', w: 'synthesis.onnx' } as const;
  const broadcastW = (w: Float32Array) => Float32Array.from({ length: 640 }, (_, i) => w[i % 64]!);

  // z passes through the mapping network as well; its gradient measured 4.5e-4 from the float64 reference
  // (L2), where w and w+ measure below 1e-4.
  const tolerance = { z: 1e-3, 'w+': 1e-4, w: 1e-4 };
  for (const space of ['z', 'w+', 'w'] as const) {
    it(`has the gradient in ${space} of PyTorch autograd (float64) to ${tolerance[space]}${space === 'w' ? ' (w+ gradient summed over layers)' : ''}`, async () => {
      const ref = reference[space]!;
      const input = decode(ref.input);
      const bytes = readFileSync(join(fixture, graphs[space]));
      const graph = await buildGradientGraph(bytes, { wrt: space === 'z' ? 'z' : 'ws' });
      const session = await ort.InferenceSession.create(graph.bytes);
      try {
        const fed = space === 'w' ? new ort.Tensor('float32', broadcastW(input.data), [1, 10, 64]) : new ort.Tensor('float32', input.data, input.shape);
        const out = await session.run({ [graph.code]: fed, [graph.target]: new ort.Tensor('float32', decode(ref.target).data, ref.target.shape) });
        const raw = out[graph.gradient]!.data as Float32Array;
        const gradient = space === 'w' ? Float32Array.from({ length: 64 }, (_, j) => Array.from({ length: 10 }, (_, l) => raw[l * 64 + j]!).reduce((a, b) => a + b, 0)) : raw;
        expect(Math.abs((out[graph.loss]!.data as Float32Array)[0]! - ref.loss) / ref.loss).toBeLessThan(1e-5);
        expect(relativeMaxError(gradient, decode(ref.grad).data)).toBeLessThan(tolerance[space]);
      } finally {
        await session.release();
      }
    });
  }

  // Central differences of a float32 network of 14 convolutions carry its rounding (about 3e-3 of the
  // gradient at best, at h = 1e-3): this checks the same gradients against the runtime's own forward pass.
  it('has gradients in z and w+ that match central finite differences along random directions to 1e-2', async () => {
    const z = { shape: [1, 64], data: seeded(64, 7, -1.5, 1.5) };
    const ws = { shape: [1, 10, 64], data: seeded(640, 8, -1, 1) };
    const inZ = await checkGradient(readFileSync(join(fixture, 'generator.onnx')), 'z', { z }, { h: 1e-3, directions: 12 });
    const inW = await checkGradient(readFileSync(join(fixture, 'synthesis.onnx')), 'ws', { ws }, { h: 1e-3, directions: 12 });
    console.log(`stylegan-tiny finite differences: z ${inZ.relativeError.toExponential(2)}, w+ ${inW.relativeError.toExponential(2)}`);
    expect(inZ.relativeError).toBeLessThan(1e-2);
    expect(inW.relativeError).toBeLessThan(1e-2);
    expect(inZ.graph.ops).toMatchObject({ Conv: 9 + 5, ReduceSum: 9, Resize: 8, Gather: 10 });
  });
});

interface Encoded {
  shape: number[];
  data: string;
}
const decode = (e: Encoded) => float32Tensor(e.shape, new Float32Array(new Uint8Array(Buffer.from(e.data, 'base64')).buffer));

describe('inverting a generator that ships no inversion graph', () => {
  let library: string;
  let host: ModelHost;

  beforeAll(async () => {
    // Copies, so the graphs cached beside the models land in a scratch folder, not the repository.
    library = mkdtempSync(join(tmpdir(), 'latent-studio-invert-'));
    cpSync(fixture, join(library, 'stylegan-tiny'), { recursive: true, filter: (path) => !path.includes('.latent-studio') });
    const dcgan = join(library, 'dcgan-no-inversion');
    cpSync(join(paths.models, 'fmnist-dcgan'), dcgan, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dcgan, 'manifest.json'), 'utf8'));
    delete manifest.graphs.inversion;
    writeFileSync(join(dcgan, 'manifest.json'), JSON.stringify({ ...manifest, id: 'dcgan-no-inversion' }));
    host = new ModelHost({ providers: ['cpu'], intraOpNumThreads: 2 }, [], join(library, 'cache'));
    await host.loadFolders([
      { path: library, source: 'user' },
      { path: paths.models, source: 'bundled' },
    ]);
  });
  afterAll(() => host.dispose());

  it('follows the hand-written graph’s optimisation step for step (same loss curve to 1e-4)', async () => {
    const target = await runGraph(await host.graph(host.model('fmnist-dcgan'), 'generator'), { z: float32Tensor([1, 64], seeded(64, 3, -1, 1)) });
    const image = float32Tensor(target['x']!.shape, toUnitRange(target['x']!.data, [-1, 1]));
    const settings = { ...DEFAULT_INVERSION, steps: 60, warmStart: false, restarts: 2, plateau: 0 };
    const own = await invertImage(host, host.model('fmnist-dcgan'), image, settings, never);
    const derived = await invertImage(host, host.model('dcgan-no-inversion'), image, settings, never);
    expect(own.gradientSource).toBe('inversion graph');
    expect(derived.gradientSource).toBe('differentiated generator');
    expect(relativeMaxError(Float32Array.from(derived.curve), Float32Array.from(own.curve))).toBeLessThan(1e-4);
    expect(Math.abs(derived.psnr - own.psnr)).toBeLessThan(0.01);
  });

  it('inverts the StyleGAN-style fixture (fixed batch 1, restarts run in turn): PSNR rises well above the start', async () => {
    const model = host.model('stylegan-tiny');
    const truth = await runGraph(await host.graph(model, 'generator'), { z: float32Tensor([1, 64], seeded(64, 11, -1, 1)) });
    const image = float32Tensor(truth['x']!.shape, toUnitRange(truth['x']!.data, [-1, 1]).map((v) => Math.min(1, Math.max(0, v))));
    const result = await invertImage(host, model, image, { ...DEFAULT_INVERSION, steps: 80, restarts: 2, plateau: 0 }, never);
    expect(result.gradientSource).toBe('differentiated generator');
    expect(result.image.shape).toEqual([1, 3, 64, 64]);
    // The loss is Σ (G(z) − x)² over 3·64·64 values in [-1, 1]; PSNR is measured in [0, 1].
    const psnrOfLoss = (loss: number) => 10 * Math.log10(1 / (loss / (3 * 64 * 64) / 4));
    console.log(`stylegan-tiny inversion: PSNR ${psnrOfLoss(result.curve[0]!).toFixed(2)} dB after the first step, ${result.psnr.toFixed(2)} dB after ${result.steps}`);
    expect(result.psnr).toBeGreaterThan(psnrOfLoss(result.curve[0]!) + 3);
  });

  it('falls back to a CMA-ES search for a generator with an op that has no gradient rule, and says why', async () => {
    const folder = join(library, 'sine-gan');
    mkdirSync(folder);
    writeFileSync(
      join(folder, 'generator.onnx'),
      buildModel({
        inputs: { z: ['N', 8] },
        floats: { W: { dims: [192, 8], values: seeded(1536, 21, -0.6, 0.6) } },
        ints: { shape: [-1, 3, 8, 8] },
        nodes: [
          ['Gemm', ['z', 'W'], ['h'], { transB: 1 }],
          ['Sin', ['h'], ['s']],
          ['Reshape', ['s', 'shape'], ['x']],
        ],
        output: 'x',
        outputShape: ['N', 3, 8, 8],
      }),
    );
    const spec = (name: string, shape: (number | 'batch')[]) => ({ name, shape, dtype: 'float32' });
    writeFileSync(
      join(folder, 'manifest.json'),
      JSON.stringify({
        format: 1,
        id: 'sine-gan',
        name: 'Sine GAN',
        kind: 'gan',
        image: { channels: 3, height: 8, width: 8, range: [-1, 1] },
        latent: { shape: [8], prior: 'standard-normal' },
        graphs: { generator: { file: 'generator.onnx', inputs: [spec('z', ['batch', 8])], outputs: [spec('x', ['batch', 3, 8, 8])] } },
      }),
    );
    await host.loadFolders([{ path: library, source: 'user' }]);
    expect(host.list().problems).toEqual([]);
    const model = host.model('sine-gan');
    const truth = await runGraph(await host.graph(model, 'generator'), { z: float32Tensor([1, 8], seeded(8, 22, -1, 1)) });
    const image = float32Tensor(truth['x']!.shape, toUnitRange(truth['x']!.data, [-1, 1]));
    const result = await invertImage(host, model, image, { ...DEFAULT_INVERSION, steps: 150, warmStart: false }, never);
    expect(result.gradientSource).toBe('none (CMA-ES search)');
    expect(result.gradientNote).toBe('model "sine-gan" cannot be inverted by gradients: Sin node "Sin_1" has no gradient rule: the operator Sin is not supported');
    const psnrOfLoss = (loss: number) => 10 * Math.log10(1 / (loss / 192 / 4));
    console.log(`CMA-ES: PSNR ${psnrOfLoss(result.curve[0]!).toFixed(2)} dB after the first generation, ${result.psnr.toFixed(2)} dB after ${result.steps}`);
    expect(result.psnr).toBeGreaterThan(psnrOfLoss(result.curve[0]!) + 10);

    const controller = new AbortController();
    const stopped = await invertImage(host, model, image, { ...DEFAULT_INVERSION, steps: 150, warmStart: false }, {
      signal: controller.signal,
      progress: (p) => p.step === 5 && controller.abort(),
    });
    expect(stopped).toMatchObject({ cancelled: true, steps: 5 });
    expect(stopped.loss).toBe(Math.min(...stopped.curve));
  });

  it('caches the differentiated graph beside the model and reuses it', async () => {
    const model = host.model('stylegan-tiny');
    const first = await inversionGraph(host, model);
    const cached = readdirSync(join(library, 'stylegan-tiny', '.latent-studio')).filter((f) => f.endsWith('.onnx'));
    expect(cached).toHaveLength(1);
    expect(cached[0]).toMatch(/^inversion-[0-9a-f]{16}\.onnx$/);
    const again = await inversionGraph(host, model);
    expect(again.graph).toBe(first.graph);
    expect(existsSync(join(library, 'stylegan-tiny', '.latent-studio', `${cached[0]}.json`))).toBe(true);
  });
});
