/**
 * Helpers of the journal's file tests (journal.test.ts, journal-damage.test.ts): journals opened in
 * temporary directories and closed after each test, deterministic payloads, and byte surgery on
 * segment files.
 */
import { expect } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { Journal, JournalCorruptError } from "../../actors/journal/journal.ts";
import { HEADER_BYTES } from "../../storage/record-file.ts";
import { TempDirs } from "./temp-dirs.ts";

export const PAYLOAD = 256;
export const RECORD_BYTES = HEADER_BYTES + PAYLOAD;

export const dirs = new TempDirs("bourse-journal-");
export const journals: Journal[] = [];

/** The teardown every journal test file runs after each test: closes its journals, removes its directories. */
export function closeJournals(): void {
  for (const j of journals.splice(0)) j.close();
  dirs.removeAll();
}

export function tempDir(): string {
  return dirs.make();
}

/** Opens a journal that the test teardown closes. fsync is off unless a test asks: these tests are about format and recovery. */
export function open(dir: string, opts: Partial<Parameters<typeof Journal.open>[0]> = {}): Journal {
  const j = Journal.open({ dir, fsync: false, ...opts });
  journals.push(j);
  return j;
}

/** The payload of record `seq`: deterministic, different for every seq. */
export function payload(seq: number, length = PAYLOAD): Uint8Array {
  const p = new Uint8Array(length);
  for (let i = 0; i < length; i++) p[i] = (seq * 131 + i * 7 + (seq >>> 8)) & 0xff;
  return p;
}

/** Appends seqs from..to in batches of `batch`, committing each. */
export function write(j: Journal, from: number, to: number, batch = 1): void {
  for (let seq = from; seq <= to; seq++) {
    j.append(seq, payload(seq));
    if ((seq - from + 1) % batch === 0) j.commit();
  }
  j.commit();
}

export function readAll(j: Journal, from?: number, until?: number): { seq: number; payload: Uint8Array }[] {
  return [...mapRead(j, from, until)];
}

export function* mapRead(j: Journal, from?: number, until?: number) {
  for (const r of j.read(from, until)) yield { seq: r.seq, payload: r.payload.slice() };
}

export function expectRecords(j: Journal, from: number, to: number, what: string): void {
  const got = readAll(j);
  expect(got.map((r) => r.seq), `${what}: the seqs read back`).toEqual(range(from, to));
  for (const r of got) expect(r.payload, `${what}: the payload of seq ${r.seq}`).toEqual(payload(r.seq));
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

export function segmentFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith(".seg"))
    .sort()
    .map((n) => path.join(dir, n));
}

export function size(file: string): number {
  return fs.statSync(file).size;
}

export function flipByte(file: string, offset: number): void {
  const fd = fs.openSync(file, "r+");
  const b = new Uint8Array(1);
  fs.readSync(fd, b, 0, 1, offset);
  b[0]! ^= 0x5a;
  fs.writeSync(fd, b, 0, 1, offset);
  fs.closeSync(fd);
}

export function copyDir(from: string): string {
  const to = tempDir();
  for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f));
  return to;
}

/** Opening must throw JournalCorruptError naming this file and offset. */
export function expectCorrupt(dir: string, file: string, offset: number, what: string): JournalCorruptError {
  let error: unknown;
  try {
    open(dir);
  } catch (e) {
    error = e;
  }
  expect(error, `${what}: opening must throw JournalCorruptError`).toBeInstanceOf(JournalCorruptError);
  const e = error as JournalCorruptError;
  expect({ file: e.file, offset: e.offset }, `${what}: the error must name the segment and byte offset (${e.message})`).toEqual({ file, offset });
  return e;
}
