import type { onnx as OnnxNamespace } from 'onnx-proto';
import { nodeRequire } from '../runtime/ort';

/**
 * ONNX protobufs through onnx-proto (the onnx.proto schema compiled for protobufjs):
 * read a model, read its constants and attributes, write it back.
 */
export const onnx: typeof OnnxNamespace = nodeRequire('onnx-proto').onnx;
export type ModelProto = OnnxNamespace.ModelProto;
export type NodeProto = OnnxNamespace.INodeProto;
export type TensorProto = OnnxNamespace.ITensorProto;
export type AttributeProto = OnnxNamespace.IAttributeProto;

export const DataType = {
  float: 1,
  int32: 6,
  int64: 7,
  bool: 9,
  double: 11,
} as const;

/** The dtype names onnxruntime-node reports, by ONNX data type. */
export const dtypeNames: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64' };

/** protobufjs decodes int64 as Long objects; every count and axis here fits a double. */
type Int64 = number | { toNumber(): number } | null | undefined;
export const toNumber = (value: Int64): number => (value == null ? 0 : typeof value === 'number' ? value : value.toNumber());

export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** The default-domain opset a model imports. */
export function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return toNumber(entry?.version);
}

/** A tensor's values as numbers (float, double, int32 and int64 tensors, raw or typed storage). */
export function tensorValues(tensor: TensorProto): { dims: number[]; values: number[] } {
  const dims = (tensor.dims ?? []).map(toNumber);
  const raw = tensor.rawData;
  const type = tensor.dataType ?? 0;
  if (tensor.externalData?.length) throw new Error(`tensor "${tensor.name}" is stored outside the model file`);
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const read: Record<number, [number, (offset: number) => number]> = {
      [DataType.float]: [4, (o) => view.getFloat32(o, true)],
      [DataType.double]: [8, (o) => view.getFloat64(o, true)],
      [DataType.int32]: [4, (o) => view.getInt32(o, true)],
      [DataType.int64]: [8, (o) => Number(view.getBigInt64(o, true))],
      [DataType.bool]: [1, (o) => view.getUint8(o)],
    };
    const reader = read[type];
    if (!reader) throw new Error(`tensor "${tensor.name}" has data type ${type}, which is not read here`);
    const [size, at] = reader;
    return { dims, values: Array.from({ length: raw.length / size }, (_, i) => at(i * size)) };
  }
  const typed = tensor.floatData?.length ? tensor.floatData : tensor.doubleData?.length ? tensor.doubleData : tensor.int32Data?.length ? tensor.int32Data : tensor.int64Data ?? [];
  return { dims, values: (typed as Int64[]).map(toNumber) };
}

export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): TensorProto {
  const data = Float32Array.from(values);
  return { name, dims, dataType: DataType.float, rawData: new Uint8Array(data.buffer) };
}

export function int64Tensor(name: string, dims: number[], values: number[]): TensorProto {
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return { name, dims, dataType: DataType.int64, rawData: new Uint8Array(data.buffer) };
}

// ---- attributes -------------------------------------------------------------------------------

/** Marks a number as a FLOAT attribute; plain numbers are INTs. */
export class FloatAttr {
  constructor(readonly value: number) {}
}
export const float = (value: number) => new FloatAttr(value);
export type AttrValue = number | number[] | string | FloatAttr | FloatAttr[] | TensorProto;

export function makeAttribute(name: string, value: AttrValue): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (value instanceof FloatAttr) return { name, type: T.FLOAT, f: value.value };
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) {
    return value.some((v) => v instanceof FloatAttr)
      ? { name, type: T.FLOATS, floats: (value as FloatAttr[]).map((v) => v.value) }
      : { name, type: T.INTS, ints: value as number[] };
  }
  return { name, type: T.TENSOR, t: value };
}

export function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}
export function intAttr(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a ? toNumber(a.i) : fallback;
}
export function floatAttr(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a ? (a.f ?? 0) : fallback;
}
export function intsAttr(node: NodeProto, name: string): number[] | undefined {
  const a = attribute(node, name);
  return a ? (a.ints ?? []).map(toNumber) : undefined;
}
export function stringAttr(node: NodeProto, name: string, fallback: string): string {
  const a = attribute(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : fallback;
}

/** The tensor a Constant node holds, whichever of its value attributes carries it. */
export function constantNodeValue(node: NodeProto): { dims: number[]; values: number[] } | undefined {
  for (const a of node.attribute ?? []) {
    if (a.name === 'value' && a.t) return tensorValues(a.t);
    if (a.name === 'value_float') return { dims: [], values: [a.f ?? 0] };
    if (a.name === 'value_floats') return { dims: [a.floats?.length ?? 0], values: a.floats ?? [] };
    if (a.name === 'value_int') return { dims: [], values: [toNumber(a.i)] };
    if (a.name === 'value_ints') return { dims: [a.ints?.length ?? 0], values: (a.ints ?? []).map(toNumber) };
  }
  return undefined;
}
