/**
 * actors/journal/journal.ts against damaged files: docs/journal.md ("Recovery") — torn tails,
 * corruption, progress while opening, and committed records surviving every crash. Every test
 * works in its own temporary directory.
 */
import { afterEach, describe, expect, test } from "bun:test";
import fc from "fast-check";
import * as fs from "node:fs";
import * as path from "node:path";
import { Journal, verifyJournal } from "../../actors/journal/journal.ts";
import { segmentName } from "../../actors/journal/segment.ts";
import { encodeRecord, HEADER_BYTES } from "../../storage/record-file.ts";
import { closeJournals, copyDir, expectCorrupt, expectRecords, flipByte, open, payload, readAll, RECORD_BYTES, segmentFiles, size, tempDir, write } from "./journal-fixture.ts";

afterEach(closeJournals);

describe("torn tails", () => {
  /** A pristine journal: 3 segments, the last holding seqs 25..30; returns its dir and the last record's offset. */
  function pristine(): { dir: string; last: string; lastRecordAt: number } {
    const dir = tempDir();
    const j = open(dir, { segmentBytes: 2000 });
    write(j, 1, 30, 6);
    j.close();
    const files = segmentFiles(dir);
    const last = files[files.length - 1]!;
    expect(path.basename(last)).toBe(segmentName(25));
    return { dir, last, lastRecordAt: size(last) - RECORD_BYTES };
  }

  test("a torn tail of every possible length is cut back exactly to the last whole record", () => {
    const p = pristine();
    for (let cut = p.lastRecordAt; cut < p.lastRecordAt + RECORD_BYTES; cut++) {
      const dir = copyDir(p.dir);
      const last = path.join(dir, path.basename(p.last));
      fs.truncateSync(last, cut);
      const torn = cut - p.lastRecordAt;
      const j = open(dir, { segmentBytes: 2000 });
      expect({ lastSeq: j.lastSeq, truncatedBytes: j.truncatedBytes, size: size(last) }, `cut ${torn} bytes into the last record`).toEqual({
        lastSeq: 29,
        truncatedBytes: torn,
        size: p.lastRecordAt,
      });
      if (torn > 0) expect(j.tornTail, `cut ${torn} bytes in`).toMatchObject({ file: last, offset: p.lastRecordAt, kind: "torn-tail" });
      else expect(j.tornTail).toBeNull();
      write(j, 30, 31);
      j.close();
      expectRecords(open(dir, { segmentBytes: 2000 }), 1, 31, `cut ${torn} bytes in, then appended 30 and 31`);
    }
  });

  test("a flipped byte anywhere in the last record is a torn tail", () => {
    const p = pristine();
    for (let i = 0; i < RECORD_BYTES; i++) {
      const dir = copyDir(p.dir);
      const last = path.join(dir, path.basename(p.last));
      flipByte(last, p.lastRecordAt + i);
      const j = open(dir);
      expect({ lastSeq: j.lastSeq, truncatedBytes: j.truncatedBytes, size: size(last) }, `byte ${i} of the last record flipped`).toEqual({
        lastSeq: 29,
        truncatedBytes: RECORD_BYTES,
        size: p.lastRecordAt,
      });
      j.close();
      fs.rmSync(dir, { recursive: true });
    }
  });

  test("zeros or garbage after the last whole record are a torn tail", () => {
    const p = pristine();
    for (const junk of [new Uint8Array(1), new Uint8Array(4096), payload(7, 5000), Uint8Array.from([0x10, 0, 0, 0])]) {
      const dir = copyDir(p.dir);
      const last = path.join(dir, path.basename(p.last));
      fs.appendFileSync(last, junk);
      const j = open(dir);
      expect([j.lastSeq, j.truncatedBytes, size(last)], `${junk.length} junk bytes`).toEqual([30, junk.length, p.lastRecordAt + RECORD_BYTES]);
    }
  });

  test("a last segment torn inside its first record, or empty, is removed", () => {
    const p = pristine();
    for (const cut of [0, 1, 100]) {
      const dir = copyDir(p.dir);
      const last = path.join(dir, path.basename(p.last));
      fs.truncateSync(last, cut);
      const j = open(dir, { segmentBytes: 2000 });
      expect([j.lastSeq, j.truncatedBytes, fs.existsSync(last)], `last segment cut to ${cut} bytes`).toEqual([24, cut, false]);
      write(j, 25, 26);
      expect(fs.existsSync(last), "the next commit creates it again").toBe(true);
      j.close();
      expectRecords(open(dir), 1, 26, `cut to ${cut}`);
    }
  });

  test("verifyJournal reports a torn tail without cutting it", () => {
    const p = pristine();
    fs.truncateSync(p.last, p.lastRecordAt + 100);
    const v = verifyJournal(p.dir);
    expect(v.problem).toMatchObject({ file: p.last, offset: p.lastRecordAt, kind: "torn-tail" });
    expect([v.records, v.lastSeq]).toEqual([29, 29]);
    expect(size(p.last), "verify changes nothing").toBe(p.lastRecordAt + 100);
  });

  test("read-only open skips a torn tail without cutting it, and refuses writes", () => {
    const p = pristine();
    fs.truncateSync(p.last, p.lastRecordAt + 100);
    const j = open(p.dir, { readOnly: true });
    expect([j.lastSeq, j.truncatedBytes]).toEqual([29, 100]);
    expectRecords(j, 1, 29, "read-only");
    expect(() => j.append(30, payload(30))).toThrow("read-only");
    expect(size(p.last)).toBe(p.lastRecordAt + 100);
    const writer = open(p.dir);
    expect(writer.lastSeq, "a read-only journal does not hold the writer's lock").toBe(29);
  });
});

describe("corruption", () => {
  test("a flipped byte anywhere in a record followed by valid ones throws, naming the segment and the record's offset", () => {
    const dir = tempDir();
    const j = open(dir, { segmentBytes: 1 << 20 });
    write(j, 1, 10, 5);
    j.close();
    const file = segmentFiles(dir)[0]!;
    const at = 4 * RECORD_BYTES; // seq 5, in the middle of the only (so the last) segment
    for (let i = 0; i < RECORD_BYTES; i++) {
      const copy = copyDir(dir);
      const f = path.join(copy, path.basename(file));
      flipByte(f, at + i);
      const e = expectCorrupt(copy, f, at, `byte ${i} of seq 5 flipped`);
      expect(e.message).toContain(`${f} at byte ${at}`);
      expect(size(f), "a failed open cuts nothing").toBe(10 * RECORD_BYTES);
      fs.rmSync(copy, { recursive: true });
    }
  });

  test("a bad record at the end of a segment that is not the last is corruption", () => {
    const dir = tempDir();
    const j = open(dir, { segmentBytes: 1000 });
    write(j, 1, 20, 4);
    j.close();
    const first = segmentFiles(dir)[0]!;
    const lastAt = size(first) - RECORD_BYTES;
    flipByte(first, lastAt + 100);
    expectCorrupt(dir, first, lastAt, "the last record of the first segment");
    expect(verifyJournal(dir).problem).toMatchObject({ file: first, offset: lastAt, kind: "corrupt" });
  });

  test("a truncated segment that is not the last is corruption", () => {
    const dir = tempDir();
    const j = open(dir, { segmentBytes: 1000 });
    write(j, 1, 20, 4);
    j.close();
    const second = segmentFiles(dir)[1]!;
    fs.truncateSync(second, size(second) - 10);
    expectCorrupt(dir, second, size(second) - RECORD_BYTES + 10, "a cut in the second of several segments");
  });

  test("a missing segment (a seq gap between segments) is corruption at the start of the next one", () => {
    const dir = tempDir();
    const j = open(dir, { segmentBytes: 1000 });
    write(j, 1, 20, 4);
    j.close();
    const files = segmentFiles(dir);
    fs.rmSync(files[1]!);
    const e = expectCorrupt(dir, files[2]!, 0, "the second segment deleted");
    expect(e.detail).toContain("ends at seq 4");
  });

  test("a whole, CRC-valid record with the wrong seq is corruption", () => {
    const dir = tempDir();
    const buf = new Uint8Array(3 * RECORD_BYTES);
    const view = new DataView(buf.buffer);
    let at = encodeRecord(buf, view, 0, 1, payload(1));
    at = encodeRecord(buf, view, at, 2, payload(2));
    encodeRecord(buf, view, at, 4, payload(4));
    const file = path.join(dir, segmentName(1));
    fs.writeFileSync(file, buf);
    const e = expectCorrupt(dir, file, 2 * RECORD_BYTES, "seq 4 after seq 2");
    expect(e.detail).toContain("seq 4 where seq 3 was expected");
  });

  test("a segment whose name disagrees with its first record is corruption", () => {
    const dir = tempDir();
    const buf = new Uint8Array(RECORD_BYTES);
    encodeRecord(buf, new DataView(buf.buffer), 0, 7, payload(7));
    const file = path.join(dir, segmentName(6));
    fs.writeFileSync(file, buf);
    expectCorrupt(dir, file, 0, "journal-…6.seg holding seq 7");
  });
});

describe("progress", () => {
  test("open reports scan progress, ending at the total size", () => {
    const dir = tempDir();
    const j = open(dir, { segmentBytes: 1 << 20 });
    write(j, 1, 12_000, 500); // ~3.3 MB in 4 segments, each read in 1 MiB chunks
    j.close();
    const total = segmentFiles(dir).map(size).reduce((a, b) => a + b, 0);
    const calls: [number, number][] = [];
    open(dir, { onProgress: (done, of) => calls.push([done, of]) });
    expect(calls.length).toBeGreaterThan(3);
    expect(calls.every(([, of]) => of === total)).toBe(true);
    expect(calls.every(([d], i) => i === 0 || d >= calls[i - 1]![0]), "monotonic").toBe(true);
    expect(calls[calls.length - 1]).toEqual([total, total]);
  });
});

// ~1 s on a 2-core machine; JOURNAL_PROPERTY_RUNS / JOURNAL_PROPERTY_SEED override for a soak.
const PROPERTY_RUNS = Number(process.env.JOURNAL_PROPERTY_RUNS ?? 300);
const PROPERTY_SEED = process.env.JOURNAL_PROPERTY_SEED ? Number(process.env.JOURNAL_PROPERTY_SEED) : undefined;

describe("property: committed records survive every crash", () => {
  type Op =
    | { kind: "append"; lengths: number[] }
    | { kind: "commit" }
    | { kind: "reopen" }
    /** Dies during the commit of the current batch: the batch's bytes are cut at `fraction`, then junk may follow. */
    | { kind: "crash"; fraction: number; junk: "none" | "zeros" | "random"; junkBytes: number };

  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("append" as const), lengths: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 12 }) }) },
    { weight: 3, arbitrary: fc.constant({ kind: "commit" as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: "reopen" as const }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("crash" as const),
        fraction: fc.double({ min: 0, max: 1, noNaN: true }),
        junk: fc.constantFrom("none" as const, "zeros" as const, "random" as const),
        junkBytes: fc.integer({ min: 1, max: 600 }),
      }),
    },
  );

  test("a random run of append, commit, reopen and crash-with-a-cut loses no committed record and invents none", () => {
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 3000 }), fc.array(opArb, { maxLength: 30 }), fc.integer(), (segmentBytes, ops, junkSeed) => {
        const dir = tempDir();
        const opts = { dir, segmentBytes, fsync: false };
        let j = Journal.open(opts);
        /** lengths[seq - 1]: payload length of each record the journal must hold (payload(seq, length)). */
        const durable: number[] = [];
        let batch: number[] = [];
        const check = (when: string) => {
          expect([j.lastSeq, j.durableSeq], `${when}: lastSeq, durableSeq`).toEqual([durable.length, durable.length]);
          const got = readAll(j);
          expect(got.length, `${when}: record count`).toBe(durable.length);
          got.forEach((r, i) => {
            expect(r.seq).toBe(i + 1);
            expect(r.payload, `${when}: payload of seq ${r.seq}`).toEqual(payload(r.seq, durable[i]));
          });
        };
        try {
          for (const op of ops) {
            if (op.kind === "append") {
              for (const n of op.lengths) {
                j.append(durable.length + batch.length + 1, payload(durable.length + batch.length + 1, n));
                batch.push(n);
              }
            } else if (op.kind === "commit") {
              expect(j.commit()).toBe(durable.length + batch.length);
              durable.push(...batch);
              batch = [];
            } else if (op.kind === "reopen") {
              j.close();
              batch = [];
              j = Journal.open(opts);
              expect(j.truncatedBytes, "a clean close leaves no torn tail").toBe(0);
              check("after a reopen");
            } else {
              const before = segmentFiles(dir);
              const lastBefore = before[before.length - 1];
              const sizeBefore = lastBefore ? size(lastBefore) : 0;
              j.commit();
              const after = segmentFiles(dir);
              const last = after[after.length - 1];
              let survivors = 0;
              let junkLength = 0;
              if (last) {
                const start = last === lastBefore ? sizeBefore : 0;
                const end = size(last);
                const cut = Math.min(end, start + Math.floor(op.fraction * (end - start + 1)));
                fs.truncateSync(last, cut);
                let wholeEnd = start;
                while (survivors < batch.length && wholeEnd + HEADER_BYTES + batch[survivors]! <= cut) wholeEnd += HEADER_BYTES + batch[survivors++]!;
                junkLength = cut - wholeEnd;
                if (op.junk !== "none") {
                  const junk = op.junk === "zeros" ? new Uint8Array(op.junkBytes) : payload(junkSeed >>> 0, op.junkBytes);
                  fs.appendFileSync(last, junk);
                  junkLength += junk.length;
                }
              }
              j.close();
              durable.push(...batch.slice(0, survivors));
              batch = [];
              j = Journal.open(opts);
              expect(j.truncatedBytes, "the torn part of the batch, plus any junk, is cut").toBe(junkLength);
              check("after a crash");
            }
          }
          j.commit();
          durable.push(...batch);
          check("at the end");
          expect(verifyJournal(dir).problem).toBeUndefined();
        } finally {
          j.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: PROPERTY_RUNS, ...(PROPERTY_SEED === undefined ? {} : { seed: PROPERTY_SEED }) },
    );
  });
});
