/**
 * The safetensors format, bytes in and bytes out (no files here, so a browser can use it too):
 *
 *   8 bytes    N, the header length, unsigned little-endian
 *   N bytes    a JSON object: for each tensor { dtype, shape, data_offsets: [begin, end] },
 *              and an optional `__metadata__` of string values
 *   the rest   the tensors' raw little-endian bytes; offsets count from here
 *
 * Reading trusts nothing in the header. Every tensor's byte range must match its dtype and
 * shape, and the ranges must tile the data exactly: no overlap, no gap, nothing after the
 * last tensor. So a header that lies (offsets out of range or overlapping, a wrong header
 * length, trailing junk) is refused with an error naming the file, before any tensor is used.
 * `parseHeader` needs only the header bytes and the file's size, which lets the Node file layer
 * (src/platform/node.ts) reject a multi-gigabyte junk file after reading a few bytes of it.
 *
 * A file may be sealed: `__metadata__.sha256` is then the SHA-256 of the header's canonical
 * form (without that key) followed by the data, so a changed byte anywhere is caught. Datasets
 * and checkpoints are sealed; files meant for PyTorch need not be.
 */
import { sha256 } from './sha256.js';

export type Dtype = 'F64' | 'F32' | 'I64' | 'I32' | 'U8';
export type StoredArray = Float64Array | Float32Array | Int32Array | Uint8Array;

const ELEMENT_BYTES: Readonly<Record<Dtype, number>> = { F64: 8, F32: 4, I64: 8, I32: 4, U8: 1 };
const DTYPES = Object.keys(ELEMENT_BYTES) as Dtype[];

/** The safetensors library refuses larger headers; so does descent (it bounds what a lie can make us read). */
export const MAX_HEADER_BYTES = 100_000_000;

export const SEAL_KEY = 'sha256';

/** A file that is not valid safetensors, or not what the reader expected. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** One tensor's place in the data: `[begin, end)` bytes from the start of the data. */
export interface TensorEntry {
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly metadata: Readonly<Record<string, string>>;
  /** In the order of their data. */
  readonly entries: ReadonlyMap<string, TensorEntry>;
  /** Where the data starts in the file: 8 + header length. */
  readonly dataStart: number;
  readonly dataBytes: number;
}

export interface StoredTensor {
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly data: StoredArray;
}

export interface SafetensorsFile {
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, StoredTensor>;
}

/** What `encodeSafetensors` writes: a shape and a typed array, whose type gives the dtype. */
export interface TensorInput {
  readonly shape: readonly number[];
  readonly data: StoredArray;
}

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function invalid(label: string, why: string): never {
  throw new SafetensorsError(`${label}: not a valid safetensors file (${why})`);
}

export function dtypeOfArray(data: StoredArray): Dtype {
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Int32Array) return 'I32';
  return 'U8';
}

/** The header length from the file's first 8 bytes, checked against the file's size. */
export function readHeaderLength(first: Uint8Array, fileBytes: number, label: string): number {
  if (fileBytes < 8 || first.length < 8) invalid(label, `${fileBytes} bytes is shorter than the 8-byte header length`);
  const length = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(fileBytes - 8)) invalid(label, `header length ${length} runs past the end of the ${fileBytes}-byte file`);
  if (length > BigInt(MAX_HEADER_BYTES)) invalid(label, `header length ${length} is over the ${MAX_HEADER_BYTES}-byte limit`);
  return Number(length);
}

/**
 * Parses and checks the header (the JSON bytes after the length) of a file of `fileBytes`
 * bytes. After this, every tensor range is known to lie inside the file and to tile its data.
 */
export function parseHeader(headerBytes: Uint8Array, fileBytes: number, label: string): SafetensorsHeader {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (error) {
    // The engine's parser gives up on deep nesting with a stack overflow (a RangeError).
    invalid(label, error instanceof RangeError ? 'the header is nested too deeply to be a safetensors header' : `the header is not JSON: ${(error as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) invalid(label, 'the header is not a JSON object');
  const dataStart = 8 + headerBytes.length;
  const dataBytes = fileBytes - dataStart;
  if (dataBytes < 0) invalid(label, `header length ${headerBytes.length} runs past the end of the ${fileBytes}-byte file`);

  const metadata: Record<string, string> = {};
  const unordered: Array<[string, TensorEntry]> = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid(label, '__metadata__ is not an object');
      for (const [key, text] of Object.entries(value as Record<string, unknown>)) {
        if (typeof text !== 'string') invalid(label, `__metadata__.${key} is not a string`);
        metadata[key] = text;
      }
      continue;
    }
    unordered.push([name, checkEntry(name, value, label)]);
  }

  // Sorted by begin (zero-byte tensors first at a tie), each range must start where the last ended.
  unordered.sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = '';
  for (const [name, entry] of unordered) {
    if (entry.begin < covered) invalid(label, `tensors '${previous}' and '${name}' overlap (bytes ${entry.begin}–${covered})`);
    if (entry.begin > covered) invalid(label, `${entry.begin - covered} bytes before tensor '${name}' belong to no tensor`);
    if (entry.end > dataBytes) invalid(label, `tensor '${name}' ends at byte ${entry.end}, past the ${dataBytes} bytes of data`);
    covered = entry.end;
    previous = name;
  }
  if (covered !== dataBytes) invalid(label, `${dataBytes - covered} bytes after the last tensor belong to no tensor (trailing data)`);
  return { metadata, entries: new Map(unordered), dataStart, dataBytes };
}

/** A header value in an error message, short and safe to print whatever a hostile file holds (nesting included). */
function brief(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return value.length <= 8 && value.every((v) => typeof v === 'number') ? `[${value.join(', ')}]` : `an array of ${value.length} values`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

function checkEntry(name: string, value: unknown, label: string): TensorEntry {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid(label, `tensor '${name}' is not an object`);
  const extra = Object.keys(value as object).filter((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets');
  if (extra.length > 0) invalid(label, `tensor '${name}' has unknown field(s) ${extra.join(', ')}`);
  const { dtype, shape, data_offsets: offsets } = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (!DTYPES.includes(dtype as Dtype)) {
    invalid(label, `tensor '${name}' has dtype ${brief(dtype)}; descent reads ${DTYPES.join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    invalid(label, `tensor '${name}' has shape ${brief(shape)}, not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    invalid(label, `tensor '${name}' has data_offsets ${brief(offsets)}, not [begin, end] with 0 ≤ begin ≤ end`);
  }
  const [begin, end] = offsets as [number, number];
  const elements = (shape as number[]).reduce((a, b) => a * b, 1);
  const needed = elements * ELEMENT_BYTES[dtype as Dtype];
  if (end - begin !== needed) {
    invalid(label, `tensor '${name}' spans ${end - begin} bytes, but ${String(dtype)} of shape [${(shape as number[]).join(', ')}] needs ${needed}`);
  }
  return { dtype: dtype as Dtype, shape: shape as number[], begin, end };
}

/**
 * The tensors of a checked header, given the data bytes (`data[0]` is the data's first byte).
 * Aligned arrays on a little-endian host are views of `data`; the rest are decoded copies.
 */
export function tensorsOf(header: SafetensorsHeader, data: Uint8Array): Map<string, StoredTensor> {
  const tensors = new Map<string, StoredTensor>();
  for (const [name, entry] of header.entries) {
    tensors.set(name, { dtype: entry.dtype, shape: entry.shape, data: arrayAt(data, entry) });
  }
  return tensors;
}

function arrayAt(data: Uint8Array, { dtype, begin, end }: TensorEntry): StoredArray {
  if (dtype === 'U8') return data.subarray(begin, end);
  const width = ELEMENT_BYTES[dtype];
  const count = (end - begin) / width;
  const start = data.byteOffset + begin;
  // int64 (PyTorch's counters, such as BatchNorm's num_batches_tracked) is read as float64: exact below 2⁵³.
  if (dtype === 'I64') {
    const view = new DataView(data.buffer, start, end - begin);
    return Float64Array.from({ length: count }, (_, i) => Number(view.getBigInt64(i * 8, true)));
  }
  if (hostIsLittleEndian && start % width === 0) {
    if (dtype === 'F64') return new Float64Array(data.buffer, start, count);
    return dtype === 'F32' ? new Float32Array(data.buffer, start, count) : new Int32Array(data.buffer, start, count);
  }
  const view = new DataView(data.buffer, start, end - begin);
  if (dtype === 'F64') return Float64Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, true));
  if (dtype === 'F32') return Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true));
  return Int32Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true));
}

/** Parses a whole file's bytes; `label` (usually the path) names it in every error. */
export function decodeSafetensors(bytes: Uint8Array, label: string, { sealed = false }: { sealed?: boolean } = {}): SafetensorsFile {
  const headerLength = readHeaderLength(bytes, bytes.length, label);
  const header = parseHeader(bytes.subarray(8, 8 + headerLength), bytes.length, label);
  const data = bytes.subarray(header.dataStart);
  if (sealed) verifySeal(header, data, label);
  return { metadata: header.metadata, tensors: tensorsOf(header, data) };
}

/**
 * The file's bytes. Tensors are laid out widest element first, then by name (as the Python
 * library does), after a header padded with spaces to a multiple of 8 bytes, so every tensor
 * is aligned to its element size and a reader can view it in place. With `seal`, the metadata
 * gains `sha256` (see the top of this file).
 */
export function encodeSafetensors(
  tensors: Iterable<readonly [string, TensorInput]>,
  metadata: Readonly<Record<string, string>> = {},
  { seal = false }: { seal?: boolean } = {},
): Uint8Array {
  const ordered = [...tensors].map(([name, tensor]) => {
    if (name === '__metadata__') throw new SafetensorsError(`encodeSafetensors: '__metadata__' cannot name a tensor`);
    const elements = tensor.shape.reduce((a, b) => a * b, 1);
    if (!tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || elements !== tensor.data.length) {
      throw new SafetensorsError(`encodeSafetensors: tensor '${name}' has ${tensor.data.length} values for shape [${tensor.shape.join(', ')}]`);
    }
    return { name, dtype: dtypeOfArray(tensor.data), tensor };
  });
  const names = new Set(ordered.map((t) => t.name));
  if (names.size !== ordered.length) throw new SafetensorsError('encodeSafetensors: two tensors share a name');
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new SafetensorsError(`encodeSafetensors: metadata ${key} must be a string`);
  }
  ordered.sort((a, b) => ELEMENT_BYTES[b.dtype] - ELEMENT_BYTES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const entries = new Map<string, TensorEntry>();
  let offset = 0;
  for (const { name, dtype, tensor } of ordered) {
    entries.set(name, { dtype, shape: [...tensor.shape], begin: offset, end: offset + tensor.data.byteLength });
    offset += tensor.data.byteLength;
  }
  const data = new Uint8Array(offset);
  for (const { name, tensor } of ordered) writeLittleEndian(data, entries.get(name)!.begin, tensor.data);

  const meta: Record<string, string> = { ...metadata };
  delete meta[SEAL_KEY];
  if (seal) meta[SEAL_KEY] = sealOf({ metadata: meta, entries }, data);
  const json: Record<string, unknown> = {};
  if (Object.keys(meta).length > 0) json.__metadata__ = meta;
  for (const [name, entry] of entries) json[name] = { dtype: entry.dtype, shape: entry.shape, data_offsets: [entry.begin, entry.end] };
  const unpadded = new TextEncoder().encode(JSON.stringify(json));
  const header = new Uint8Array(Math.ceil(unpadded.length / 8) * 8).fill(0x20);
  header.set(unpadded);

  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

function writeLittleEndian(target: Uint8Array, at: number, data: StoredArray): void {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  target.set(bytes, at);
  if (hostIsLittleEndian || data.BYTES_PER_ELEMENT === 1) return;
  const width = data.BYTES_PER_ELEMENT;
  for (let i = at; i < at + bytes.length; i += width) target.subarray(i, i + width).reverse();
}

/**
 * SHA-256 of the header's canonical form (metadata without the seal, keys sorted; the tensors
 * in data order) followed by the data. Canonical, so the seal does not depend on how the JSON
 * was spaced, and covers every name, shape and metadata value.
 */
function sealOf(header: Pick<SafetensorsHeader, 'metadata' | 'entries'>, data: Uint8Array): string {
  const metadata = Object.keys(header.metadata)
    .filter((key) => key !== SEAL_KEY)
    .sort()
    .map((key) => [key, header.metadata[key]]);
  const tensors = [...header.entries].map(([name, e]) => [name, e.dtype, e.shape, e.begin, e.end]);
  const canonical = new TextEncoder().encode(JSON.stringify({ metadata, tensors }));
  return sha256().update(canonical).update(data).hex();
}

/** Checks the seal of a file whose header and data were read; throws naming the file. */
export function verifySeal(header: SafetensorsHeader, data: Uint8Array, label: string): void {
  const expected = header.metadata[SEAL_KEY];
  if (expected === undefined) throw new SafetensorsError(`${label}: the file carries no checksum (__metadata__.${SEAL_KEY})`);
  const actual = sealOf(header, data);
  if (actual !== expected) throw new SafetensorsError(`${label}: checksum mismatch (SHA-256 ${actual}, the header says ${expected}): the file is corrupted`);
}
