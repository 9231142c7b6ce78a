/**
 * Reading the safetensors files that `scripts/build-datasets.mjs` writes: an 8-byte
 * little-endian header length, a JSON header (`dtype`, `shape`, `data_offsets` per array and a
 * string-valued `__metadata__`), then the raw little-endian arrays. Parsing works on bytes
 * only, so a browser that fetched a file can use it as well as Node.
 */

export type StoredArray = Uint8Array | Int32Array | Float32Array;

export interface StoredEntry {
  readonly dtype: 'U8' | 'I32' | 'F32';
  readonly shape: readonly number[];
  readonly data: StoredArray;
}

export interface SafetensorsFile {
  readonly metadata: Readonly<Record<string, string>>;
  readonly arrays: ReadonlyMap<string, StoredEntry>;
}

const ELEMENT_BYTES = { U8: 1, I32: 4, F32: 4 } as const;

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Parses a whole file. `label` names it in errors (usually its path). */
export function parseSafetensors(bytes: Uint8Array, label: string): SafetensorsFile {
  const fail = (why: string): never => {
    throw new Error(`${label}: not a valid dataset file (${why}); rebuild it with \`npm run build:data\``);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) fail(`header length ${headerLength} runs past the end of the ${bytes.length}-byte file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (error) {
    // The engine's parser gives up on deep nesting with a stack overflow (a RangeError).
    return fail(error instanceof RangeError ? 'header is nested too deeply to be a safetensors header' : `header is not JSON: ${(error as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');

  const dataStart = 8 + headerLength;
  const metadata: Record<string, string> = {};
  const arrays = new Map<string, StoredEntry>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [key, value] of Object.entries((entry ?? {}) as Record<string, unknown>)) {
        if (typeof value !== 'string') fail(`metadata ${key} is not a string`);
        metadata[key] = value as string;
      }
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (dtype !== 'U8' && dtype !== 'I32' && dtype !== 'F32') return fail(`array ${name} has unsupported dtype ${typeof dtype === 'string' ? JSON.stringify(dtype.slice(0, 20)) : Array.isArray(dtype) ? 'an array' : String(dtype === null ? null : typeof dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) return fail(`array ${name} has an invalid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      return fail(`array ${name} has invalid data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const width = ELEMENT_BYTES[dtype];
    if (end - begin !== count * width) fail(`array ${name} spans ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${count * width}`);
    if (dataStart + end > bytes.length) fail(`array ${name} runs past the end of the file`);
    arrays.set(name, { dtype, shape: shape as number[], data: viewArray(bytes, dataStart + begin, count, dtype) });
  }
  return { metadata, arrays };
}

/**
 * A typed view of `count` elements at `offset`, in place when the host is little-endian and
 * the offset is aligned (the writer aligns every array), and decoded into a copy otherwise.
 */
function viewArray(bytes: Uint8Array, offset: number, count: number, dtype: StoredEntry['dtype']): StoredArray {
  if (dtype === 'U8') return bytes.subarray(offset, offset + count);
  const start = bytes.byteOffset + offset;
  if (hostIsLittleEndian && start % 4 === 0) {
    return dtype === 'I32' ? new Int32Array(bytes.buffer, start, count) : new Float32Array(bytes.buffer, start, count);
  }
  const view = new DataView(bytes.buffer, start, count * 4);
  if (dtype === 'I32') {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
    return out;
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

type ArrayOf<D extends StoredEntry['dtype']> = D extends 'U8' ? Uint8Array : D extends 'I32' ? Int32Array : Float32Array;

/** The array `name` with the expected dtype and rank, or an error naming the file. */
export function requireArray<D extends StoredEntry['dtype']>(
  file: SafetensorsFile,
  name: string,
  dtype: D,
  rank: number,
  label: string,
): { shape: readonly number[]; data: ArrayOf<D> } {
  const entry = file.arrays.get(name);
  if (entry === undefined || entry.dtype !== dtype || entry.shape.length !== rank) {
    const found = entry === undefined ? 'missing' : `${entry.dtype} of shape [${entry.shape.join(', ')}]`;
    throw new Error(`${label}: array ${name} should be ${dtype} of rank ${rank} but is ${found}; rebuild it with \`npm run build:data\``);
  }
  return { shape: entry.shape, data: entry.data as ArrayOf<D> };
}
