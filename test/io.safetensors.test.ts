/**
 * The safetensors module: bytes written read back bit for bit, files written by PyTorch's
 * `safetensors` library read as PyTorch wrote them, and every header that lies refused with an
 * error naming the file — by the byte parser and by the Node file layer, which must reject a
 * huge file after reading its header, not the whole of it.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, MAX_HEADER_BYTES, type TensorInput } from '../src/io/safetensors.js';
import { PlainSha256 } from '../src/io/sha256.js';
import { readSafetensorsFile, readSafetensorsHeader } from '../src/platform/files.js';

const fixtures = resolve(import.meta.dirname, 'fixtures', 'golden-2.14', 'interop');
const scratch = mkdtempSync(join(tmpdir(), 'descent-safetensors-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A file from raw parts: the header object as JSON (or given text), then `data` bytes. */
function rawFile(header: unknown, data: Uint8Array | number[] = [], headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const sample: Array<[string, TensorInput]> = [
  ['weight', { shape: [2, 3], data: Float32Array.from([1.5, -0, NaN, Infinity, -Infinity, 1e-45]) }],
  ['bias', { shape: [3], data: Float64Array.from([Math.PI, -1e-310, 2 ** 60]) }],
  ['step', { shape: [], data: Float32Array.from([7]) }],
  ['rows', { shape: [4], data: Int32Array.from([0, -1, 2 ** 31 - 1, -(2 ** 31)]) }],
  ['labels', { shape: [5], data: Uint8Array.from([0, 1, 2, 255, 9]) }],
  ['empty', { shape: [0, 4], data: new Float32Array(0) }],
];

function sameBits(a: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }, b: typeof a): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

describe('SHA-256', () => {
  it('the plain implementation equals node:crypto on every padding case and across split updates', () => {
    expect(new PlainSha256().update(new TextEncoder().encode('abc')).hex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    for (const length of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 4099]) {
      const bytes = randomBytes(length);
      const expected = createHash('sha256').update(bytes).digest('hex');
      expect(new PlainSha256().update(bytes).hex(), `length ${length}`).toBe(expected);
      const cut = Math.floor(length / 3);
      expect(new PlainSha256().update(bytes.subarray(0, cut)).update(bytes.subarray(cut, 2 * cut + 1)).update(bytes.subarray(2 * cut + 1)).hex()).toBe(expected);
    }
  });
});

describe('safetensors bytes', () => {
  it('reads back what it writes, bit for bit, with every tensor aligned to its element size', () => {
    const bytes = encodeSafetensors(sample, { note: 'hello' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const file = decodeSafetensors(bytes, 'sample');
    expect(file.metadata).toEqual({ note: 'hello' });
    for (const [name, tensor] of sample) {
      const read = file.tensors.get(name)!;
      expect(read.shape, name).toEqual(tensor.shape);
      expect(read.data.constructor, name).toBe(tensor.data.constructor);
      expect(sameBits(read.data, tensor.data), name).toBe(true);
      expect(read.data.buffer, `${name} is viewed in place`).toBe(bytes.buffer);
    }
    // Deterministic: the same tensors in another order give the same bytes.
    expect(Buffer.compare(Buffer.from(encodeSafetensors([...sample].reverse(), { note: 'hello' })), Buffer.from(bytes))).toBe(0);
  });

  it('reads the files PyTorch 2.14 wrote, and its sealed re-encoding verifies', () => {
    const bytes = readFileSync(join(fixtures, 'adamw', 'model.safetensors'));
    const file = decodeSafetensors(bytes, 'model.safetensors');
    expect([...file.tensors.keys()].sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    expect(file.tensors.get('0.weight')!.shape).toEqual([8, 4]);
    expect(file.tensors.get('0.weight')!.dtype).toBe('F32');
    const optimizer = decodeSafetensors(readFileSync(join(fixtures, 'adamw', 'optimizer.safetensors')), 'optimizer.safetensors');
    expect(optimizer.metadata.format).toBe('torch.optim.state_dict');
    expect(optimizer.tensors.get('state.0.step')!.shape).toEqual([]);

    const sealed = encodeSafetensors([...file.tensors], { origin: 'pytorch' }, { seal: true });
    const again = decodeSafetensors(sealed, 'resealed', { sealed: true });
    for (const [name, tensor] of file.tensors) expect(sameBits(again.tensors.get(name)!.data, tensor.data), name).toBe(true);
  });

  it('a sealed file with any byte changed is refused, in the data or in the header', () => {
    const sealed = encodeSafetensors(sample, { lr: '0.01' }, { seal: true });
    expect(() => decodeSafetensors(sealed, 'ok.safetensors', { sealed: true })).not.toThrow();
    const dataFlip = sealed.slice();
    dataFlip[dataFlip.length - 3]! ^= 1;
    expect(() => decodeSafetensors(dataFlip, 'flip.safetensors', { sealed: true })).toThrow(/flip\.safetensors: checksum mismatch/);
    const metaFlip = Buffer.from(sealed);
    const at = metaFlip.indexOf('"lr":"0.01"');
    expect(at).toBeGreaterThan(8);
    metaFlip.write('"lr":"0.03"', at);
    expect(() => decodeSafetensors(metaFlip, 'meta.safetensors', { sealed: true })).toThrow(/meta\.safetensors: checksum mismatch/);
    expect(() => decodeSafetensors(encodeSafetensors(sample), 'plain.safetensors', { sealed: true })).toThrow(/plain\.safetensors: the file carries no checksum/);
  });

  const f32 = (name: string, offsets: [number, number], shape: number[] = [2]): Record<string, unknown> => ({ [name]: { dtype: 'F32', shape, data_offsets: offsets } });
  const hostile: Array<[string, Uint8Array, RegExp]> = [
    ['shorter than the length field', new Uint8Array([1, 0, 0]), /3 bytes is shorter than the 8-byte header length/],
    ['a header length past the end', rawFile({}, [], 99), /header length 99 runs past the end of the 10-byte file/],
    ['a header length over the limit', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 2n ** 62n, true); return b; })(), /header length 4611686018427387904 runs past the end/],
    ['a header that is not JSON', rawFile('{"a": ', []), /the header is not JSON/],
    ['a header that is a list', rawFile('[1, 2]', []), /the header is not a JSON object/],
    ['an unknown dtype', rawFile({ t: { dtype: 'BF16', shape: [1], data_offsets: [0, 2] } }, [0, 0]), /tensor 't' has dtype "BF16"; descent reads F64, F32, I64, I32, U8/],
    ['a negative dimension', rawFile({ t: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }), /tensor 't' has shape \[-1\]/],
    ['a dtype that does not match the bytes', rawFile(f32('t', [0, 6]), new Uint8Array(6)), /tensor 't' spans 6 bytes, but F32 of shape \[2\] needs 8/],
    ['offsets past the data', rawFile({ ...f32('a', [0, 8]), ...f32('b', [8, 16]) }, new Uint8Array(12)), /tensor 'b' ends at byte 16, past the 12 bytes of data/],
    ['overlapping offsets', rawFile({ ...f32('a', [0, 8]), ...f32('b', [4, 12]) }, new Uint8Array(12)), /tensors 'a' and 'b' overlap/],
    ['a gap between tensors', rawFile({ ...f32('a', [0, 8]), ...f32('b', [12, 20]) }, new Uint8Array(20)), /4 bytes before tensor 'b' belong to no tensor/],
    ['trailing junk', rawFile(f32('a', [0, 8]), new Uint8Array(9)), /1 bytes after the last tensor belong to no tensor \(trailing data\)/],
    ['reversed offsets', rawFile(f32('a', [8, 0]), new Uint8Array(8)), /data_offsets \[8, 0\], not \[begin, end\]/],
    ['an unknown field', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8], strides: [1] } }, new Uint8Array(8)), /tensor 'a' has unknown field\(s\) strides/],
    ['a metadata value that is not a string', rawFile({ __metadata__: { n: 1 } }), /__metadata__\.n is not a string/],
  ];

  it.each(hostile)('refuses %s, naming the file', (_, bytes, message) => {
    expect(() => decodeSafetensors(bytes, 'hostile.safetensors')).toThrow(SafetensorsError);
    expect(() => decodeSafetensors(bytes, 'hostile.safetensors')).toThrow(new RegExp(`^hostile\\.safetensors: not a valid safetensors file \\(.*${message.source}`));
  });

  it('refuses a header length one byte short or long, which would shift every tensor', () => {
    const good = encodeSafetensors(sample);
    const length = Number(new DataView(good.buffer).getBigUint64(0, true));
    for (const wrong of [length - 1, length + 1]) {
      const bytes = good.slice();
      new DataView(bytes.buffer).setBigUint64(0, BigInt(wrong), true);
      expect(() => decodeSafetensors(bytes, 'shifted.safetensors')).toThrow(/shifted\.safetensors: not a valid safetensors file/);
    }
  });
});

describe('safetensors files (the Node layer)', () => {
  it('reads a file as the byte parser does, and a header alone without the data', () => {
    const path = join(scratch, 'sample.safetensors');
    writeFileSync(path, encodeSafetensors(sample, { kind: 'sample' }, { seal: true }));
    const file = readSafetensorsFile(path, { sealed: true });
    for (const [name, tensor] of sample) expect(sameBits(file.tensors.get(name)!.data, tensor.data), name).toBe(true);
    expect(readSafetensorsHeader(path).metadata.kind).toBe('sample');
    expect(readSafetensorsHeader(path).entries.get('weight')!.shape).toEqual([2, 3]);
  });

  it('rejects a 6 GB file with a lying header or trailing junk after reading its header only', () => {
    const huge = 6 * 2 ** 30;
    const make = (name: string, prefix: Uint8Array): string => {
      const path = join(scratch, name);
      const fd = openSync(path, 'w');
      writeSync(fd, prefix);
      ftruncateSync(fd, huge); // sparse: no disk, no memory
      closeSync(fd);
      return path;
    };
    const before = process.memoryUsage().rss;
    const junkLength = new Uint8Array(8);
    new DataView(junkLength.buffer).setBigUint64(0, BigInt(huge - 100), true);
    expect(() => readSafetensorsFile(make('length.safetensors', junkLength))).toThrow(new RegExp(`length\\.safetensors: not a valid safetensors file \\(header length ${huge - 100} is over the ${MAX_HEADER_BYTES}-byte limit`));
    const valid = encodeSafetensors(sample);
    expect(() => readSafetensorsFile(make('trailing.safetensors', valid))).toThrow(/trailing\.safetensors: .*bytes after the last tensor belong to no tensor \(trailing data\)/);
    expect(() => readSafetensorsFile(make('lying.safetensors', rawFile(f32Header(huge), [])))).toThrow(/lying\.safetensors: .*tensor 'x' spans/);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 2 ** 20);
  });
});

/** A header claiming one F32 tensor of `bytes` bytes, with a shape that does not match it. */
function f32Header(bytes: number): Record<string, unknown> {
  return { x: { dtype: 'F32', shape: [3], data_offsets: [0, bytes] } };
}
