/**
 * The Node file layer around descent's byte formats: reading a safetensors file header first
 * (so a lying or oversized file is refused after a few bytes, never read whole), writing a file
 * atomically, and cleaning the temporary files an interrupted write leaves behind. Node's
 * modules are reached at call time (see ./node.ts), so importing this costs a browser nothing.
 */
import { nodeBuiltin } from './node.js';
import { parseHeader, readHeaderLength, tensorsOf, verifySeal, SafetensorsError, type SafetensorsFile, type SafetensorsHeader } from '../io/safetensors.js';

export interface ReadSafetensorsOptions {
  /** Name of the file in errors. Default: the path. */
  label?: string;
  /** Require and verify the file's checksum (`__metadata__.sha256`). Default false. */
  sealed?: boolean;
}

/**
 * Reads a safetensors file: its 8-byte length, then its header, which is checked against the
 * file's size before a byte of data is read; then the data in one read.
 */
export function readSafetensorsFile(path: string, { label = path, sealed = false }: ReadSafetensorsOptions = {}): SafetensorsFile {
  return withHeader(path, label, (fd, header) => {
    // A fresh buffer starts 8-byte aligned, so the tensors can be viewed in place.
    const data = readExactly(fd, header.dataStart, header.dataBytes, label);
    if (sealed) verifySeal(header, data, label);
    return { metadata: header.metadata, tensors: tensorsOf(header, data) };
  });
}

/** The checked header of a safetensors file, reading no tensor data. */
export function readSafetensorsHeader(path: string, label = path): SafetensorsHeader {
  return withHeader(path, label, (_fd, header) => header);
}

function withHeader<T>(path: string, label: string, use: (fd: number, header: SafetensorsHeader) => T): T {
  const fs = nodeBuiltin('node:fs', 'reading safetensors files');
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const headerLength = readHeaderLength(readExactly(fd, 0, Math.min(8, size), label), size, label);
    return use(fd, parseHeader(readExactly(fd, 8, headerLength, label), size, label));
  } finally {
    fs.closeSync(fd);
  }
}

function readExactly(fd: number, position: number, length: number, label: string): Uint8Array {
  const fs = nodeBuiltin('node:fs', 'reading files');
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, bytes, done, length - done, position + done);
    if (n === 0) throw new SafetensorsError(`${label}: the file ended after ${position + done} bytes while reading it (was it truncated while being read?)`);
    done += n;
  }
  return bytes;
}

/** The first `length` bytes of a file (fewer if it is shorter). */
export function readFilePrefix(path: string, length: number): { bytes: Uint8Array; size: number } {
  const fs = nodeBuiltin('node:fs', 'reading files');
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const bytes = new Uint8Array(Math.min(length, size));
    let done = 0;
    while (done < bytes.length) {
      const n = fs.readSync(fd, bytes, done, bytes.length - done, done);
      if (n === 0) break;
      done += n;
    }
    return { bytes: bytes.subarray(0, done), size };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Creates `dir` and its missing parents. Not `mkdirSync(dir, { recursive: true })`: where a
 * folder cannot be created inside an existing one (`/proc/x`), Node's recursive mkdir retries
 * forever; here each missing folder is made once, and the first refusal is thrown.
 */
export function makeFolder(dir: string): void {
  const fs = nodeBuiltin('node:fs', 'creating folders');
  const path = nodeBuiltin('node:path', 'creating folders');
  const missing: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    try {
      if (!fs.statSync(current).isDirectory()) throw new Error(`${current} is not a folder`);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(current) === current) throw error;
      missing.push(current);
    }
  }
  for (const folder of missing.reverse()) fs.mkdirSync(folder);
}

/** `<target>.tmp-<pid>-<time>`: where `writeFileAtomic` writes before the rename. */
const TEMPORARY = /\.tmp-(\d+)-\d+$/;

/** Writes `data` to `path` atomically: temporary file, fsync, rename, fsync of the folder. */
export function writeFileAtomic(path: string, data: Uint8Array): void {
  const fs = nodeBuiltin('node:fs', 'writing files');
  const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fd = fs.openSync(temporary, 'w');
    try {
      let written = 0;
      while (written < data.length) written += fs.writeSync(fd, data, written, data.length - written);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, path);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  try {
    // The rename lives in the folder's entry table; without this a crash may forget it.
    const dir = fs.openSync(nodeBuiltin('node:path', 'writing files').dirname(path), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  } catch {
    // Some platforms cannot open or fsync a directory; the file itself is already durable.
  }
}

/**
 * Deletes the temporary files that interrupted atomic writes left in `dir` (a process killed
 * between its write and its rename). A file whose writer is still running is kept: its name
 * carries the writer's process id. Returns the names removed.
 */
export function removeOrphanTemporaries(dir: string, belongs: (target: string) => boolean): string[] {
  const fs = nodeBuiltin('node:fs', 'cleaning checkpoint folders');
  const path = nodeBuiltin('node:path', 'cleaning checkpoint folders');
  const removed: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const match = TEMPORARY.exec(name);
    if (match === null || !belongs(name.slice(0, match.index)) || processIsAlive(Number(match[1]))) continue;
    fs.rmSync(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

function processIsAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
