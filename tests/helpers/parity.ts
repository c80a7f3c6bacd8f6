import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../electron/engine/models/manifest';
import { readManifest } from '../../electron/engine/models/registry';
import { runGraph, SessionCache } from '../../electron/engine/runtime/sessions';
import { float32Tensor, type Float32Tensor } from '../../electron/api/tensor';

interface EncodedTensor {
  shape: number[];
  data: string;
}
export interface ParityCase {
  inputs: Record<string, Float32Tensor>;
  outputs: Record<string, Float32Tensor>;
}

function decodeTensor(encoded: EncodedTensor): Float32Tensor {
  const bytes = Buffer.from(encoded.data, 'base64');
  // Copy into a fresh, aligned buffer: Buffer.from may share an unaligned pool.
  const values = new Float32Array(new Uint8Array(bytes).buffer);
  return float32Tensor(encoded.shape, values);
}

const decodeAll = (record: Record<string, EncodedTensor>) =>
  Object.fromEntries(Object.entries(record).map(([name, t]) => [name, decodeTensor(t)]));

/** parity.json: for each graph role, cases of PyTorch inputs and outputs (see docs/ARCHITECTURE.md). */
export function readParity(path: string): Record<string, ParityCase[]> {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { inputs: Record<string, EncodedTensor>; outputs: Record<string, EncodedTensor> }[]>;
  return Object.fromEntries(
    Object.entries(raw).map(([role, cases]) => [role, cases.map((c) => ({ inputs: decodeAll(c.inputs), outputs: decodeAll(c.outputs) }))]),
  );
}

/** max |a − b| / max |b|: relative error in the max norm. */
export function relativeMaxError(actual: Float32Array, expected: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / (scale || 1);
}

/**
 * Runs every case of a model folder's parity.json through ONNX Runtime and returns, per graph
 * role and output, the largest relative error against PyTorch's outputs.
 */
export async function parityErrors(folder: string): Promise<Record<string, number>> {
  const { manifest } = (await readManifest(folder)) as { manifest: Manifest };
  const sessions = new SessionCache({ providers: ['cpu'], intraOpNumThreads: 2 });
  const errors: Record<string, number> = {};
  try {
    for (const [role, cases] of Object.entries(readParity(join(folder, 'parity.json')))) {
      const graph = await sessions.get(manifest.id, folder, role, manifest.graphs[role]!);
      for (const c of cases) {
        const out = await runGraph(graph, c.inputs);
        for (const [name, expected] of Object.entries(c.outputs)) errors[`${role} ${name}`] = Math.max(errors[`${role} ${name}`] ?? 0, relativeMaxError(out[name]!.data, expected.data));
      }
    }
  } finally {
    sessions.releaseAll();
  }
  return errors;
}
