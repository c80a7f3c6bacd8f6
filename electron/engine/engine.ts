import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventName, EventPayload } from '../api/contract';
import { ApiError } from '../api/errors';
import { float32Tensor, type Float32Tensor } from '../api/tensor';
import { readDatasetSample, type DatasetSample } from './dataset/sample';
import type { Handlers } from './dispatch';
import { ModelHost } from './models/host';
import { encodeDataset } from './ops/datasetEncode';
import { decodeLatents, encodeImages } from './ops/latentCodec';
import type { AppPaths } from './paths';
import { ortVersion } from './runtime/ort';
import { detectProviders, providerOrder, type ProviderName } from './runtime/providers';
import { SessionCache } from './runtime/sessions';

export interface EngineOptions {
  paths: AppPaths;
  /** Force a provider instead of the platform's preference order. */
  provider?: ProviderName;
  threads?: number;
}

export interface Engine {
  handlers: Handlers;
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void;
  dispose(): Promise<void>;
}

/** Builds the engine that serves the contract: pure Node, no Electron. */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  const { paths } = options;
  const providers = detectProviders();
  const order = providerOrder(providers, options.provider);
  const host = new ModelHost(new SessionCache({ providers: order, intraOpNumThreads: options.threads }));
  await host.loadFolders([{ path: paths.models, source: 'bundled' }]);
  const version: string = JSON.parse(readFileSync(join(paths.root, 'package.json'), 'utf8')).version;

  let dataset: Promise<DatasetSample> | undefined;
  const loadDataset = () => {
    dataset ??= readDatasetSample(paths.datasetBinary, paths.datasetSidecar).catch((error: Error) => {
      dataset = undefined;
      throw new ApiError('not-found', `the dataset sample could not be read: ${error.message}`);
    });
    return dataset;
  };
  const codeCache = new Map<string, Float32Tensor>();
  const timed = async <T>(work: () => Promise<T>) => {
    const started = performance.now();
    const value = await work();
    return { value, ms: performance.now() - started };
  };

  const handlers: Handlers = {
    'app.info': async () => ({
      name: 'Latent Studio',
      version,
      platform: `${process.platform}-${process.arch}`,
      runtime: { library: 'onnxruntime-node', version: ortVersion },
      providers,
      preferredProvider: order[0]!,
      ...host.list(),
    }),
    'model.list': async () => host.list(),
    'model.decode': async ({ model, z }) => {
      const { value, ms } = await timed(() => decodeLatents(host, model, z));
      return { images: value, ms };
    },
    'model.encode': async ({ model, images }) => {
      const { value, ms } = await timed(() => encodeImages(host, model, images));
      return { ...value, ms };
    },
    'dataset.info': async () => {
      const d = await loadDataset();
      return { name: d.name, count: d.count, channels: d.channels, height: d.height, width: d.width, labels: d.labelNames, license: d.license };
    },
    'dataset.images': async ({ indices }) => {
      const d = await loadDataset();
      const size = d.channels * d.height * d.width;
      const images = new Uint8Array(indices.length * size);
      indices.forEach((index, i) => {
        if (index >= d.count) throw new ApiError('not-found', `dataset image ${index} does not exist (the sample has ${d.count})`, `args.indices.${i}`);
        images.set(d.pixels.subarray(index * size, (index + 1) * size), i * size);
      });
      return {
        images: { dtype: 'uint8', shape: [indices.length, d.channels, d.height, d.width], data: images },
        labels: indices.map((index) => d.labels[index]!),
      };
    },
    'dataset.encode': async ({ model, batchSize }, ctx) => {
      const d = await loadDataset();
      const labels = Array.from(d.labels);
      const cached = codeCache.get(model);
      if (cached) {
        ctx.progress({ done: d.count, total: d.count });
        return { codes: float32Tensor(cached.shape, cached.data.slice()), labels, ms: 0 };
      }
      const { value, ms } = await timed(() => encodeDataset(host, d, model, batchSize, ctx));
      codeCache.set(model, value);
      return { codes: float32Tensor(value.shape, value.data.slice()), labels, ms };
    },
  };

  return {
    handlers,
    on(name, listener) {
      if (name !== 'models.changed') return () => {};
      return host.onChange(() => listener(host.list() as EventPayload<typeof name>));
    },
    dispose: () => host.dispose(),
  };
}
