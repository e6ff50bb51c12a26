/**
 * actors/journal/journal.ts against real files: docs/journal.md ("Record format", "Segments", "Group
 * commit", "Recovery"). Every test works in its own temporary directory.
 */
import { afterEach, describe, expect, test } from "bun:test";
import fc from "fast-check";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Journal, JournalCorruptError, MAX_PAYLOAD_BYTES, verifyJournal } from "../../actors/journal/journal.ts";
import { segmentName } from "../../actors/journal/segment.ts";
import { encodeRecord, HEADER_BYTES } from "../../storage/record-file.ts";

const PAYLOAD = 256;
const RECORD_BYTES = HEADER_BYTES + PAYLOAD;

const dirs: string[] = [];
const journals: Journal[] = [];
afterEach(() => {
  for (const j of journals.splice(0)) j.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "bourse-journal-"));
  dirs.push(d);
  return d;
}

/** Opens a journal that the test teardown closes. fsync is off unless a test asks: these tests are about format and recovery. */
function open(dir: string, opts: Partial<Parameters<typeof Journal.open>[0]> = {}): Journal {
  const j = Journal.open({ dir, fsync: false, ...opts });
  journals.push(j);
  return j;
}

/** The payload of record `seq`: deterministic, different for every seq. */
function payload(seq: number, length = PAYLOAD): Uint8Array {
  const p = new Uint8Array(length);
  for (let i = 0; i < length; i++) p[i] = (seq * 131 + i * 7 + (seq >>> 8)) & 0xff;
  return p;
}

/** Appends seqs from..to in batches of `batch`, committing each. */
function write(j: Journal, from: number, to: number, batch = 1): void {
  for (let seq = from; seq <= to; seq++) {
    j.append(seq, payload(seq));
    if ((seq - from + 1) % batch === 0) j.commit();
  }
  j.commit();
}

function readAll(j: Journal, from?: number, until?: number): { seq: number; payload: Uint8Array }[] {
  return [...mapRead(j, from, until)];
}

function* mapRead(j: Journal, from?: number, until?: number) {
  for (const r of j.read(from, until)) yield { seq: r.seq, payload: r.payload.slice() };
}

function expectRecords(j: Journal, from: number, to: number, what: string): void {
  const got = readAll(j);
  expect(got.map((r) => r.seq), `${what}: the seqs read back`).toEqual(range(from, to));
  for (const r of got) expect(r.payload, `${what}: the payload of seq ${r.seq}`).toEqual(payload(r.seq));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

function segmentFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith(".seg"))
    .sort()
    .map((n) => path.join(dir, n));
}

function size(file: string): number {
  return fs.statSync(file).size;
}

function flipByte(file: string, offset: number): void {
  const fd = fs.openSync(file, "r+");
  const b = new Uint8Array(1);
  fs.readSync(fd, b, 0, 1, offset);
  b[0]! ^= 0x5a;
  fs.writeSync(fd, b, 0, 1, offset);
  fs.closeSync(fd);
}

function copyDir(from: string): string {
  const to = tempDir();
  for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f));
  return to;
}

/** Opening must throw JournalCorruptError naming this file and offset. */
function expectCorrupt(dir: string, file: string, offset: number, what: string): JournalCorruptError {
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

describe("round trip", () => {
  test("records written across several segments read back in order with their payloads", () => {
    const dir = tempDir();
    const j = open(dir, { segmentBytes: 4096 });
    write(j, 1, 1000, 7);
    expect([j.firstSeq, j.lastSeq, j.durableSeq]).toEqual([1, 1000, 1000]);
    expectRecords(j, 1, 1000, "after writing");

    const files = segmentFiles(dir);
    expect(files.length, "4096-byte segments of 272-byte records in batches of 7 (three batches a segment) must rotate many times").toBeGreaterThan(40);
    const v = verifyJournal(dir);
    expect(v.problem).toBeUndefined();
    expect([v.records, v.firstSeq, v.lastSeq]).toEqual([1000, 1, 1000]);
    for (const [i, s] of v.segments.entries()) {
      expect(path.basename(s.file), "a segment is named after its first seq").toBe(segmentName(s.firstSeq));
      expect((s.firstSeq - 1) % 7, `segment ${s.file} must start at a commit boundary`).toBe(0);
      if (i < v.segments.length - 1) {
        expect(s.bytes, "a segment rotates only once it reaches segmentBytes").toBeGreaterThanOrEqual(4096);
        expect(s.bytes, "and then at the first commit boundary").toBeLessThan(4096 + 7 * RECORD_BYTES);
        expect(v.segments[i + 1]!.firstSeq).toBe(s.lastSeq + 1);
      }
    }
  });

  test("a reopened journal continues where it left off", () => {
    const dir = tempDir();
    const a = open(dir, { segmentBytes: 8192 });
    write(a, 1, 100, 10);
    a.close();
    const b = open(dir, { segmentBytes: 8192 });
    expect([b.firstSeq, b.lastSeq, b.durableSeq, b.truncatedBytes]).toEqual([1, 100, 100, 0]);
    expect(() => b.append(100, payload(100)), "seq 100 is already in the journal").toThrow(RangeError);
    write(b, 101, 250, 16);
    b.close();
    const c = open(dir, { segmentBytes: 8192 });
    expectRecords(c, 1, 250, "after two sessions");
  });

  test("with fsync on (the default), committed records read back after a reopen", () => {
    const dir = tempDir();
    const a = Journal.open({ dir, segmentBytes: 2048 });
    journals.push(a);
    expect(a.fsync).toBe(true);
    write(a, 1, 40, 8);
    a.close();
    expectRecords(open(dir), 1, 40, "fsync on");
  });

  test("payloads of any length from 0 up to the maximum round-trip; a larger one is refused", () => {
    const dir = tempDir();
    const j = open(dir, { segmentBytes: 1 << 20 });
    const lengths = [0, 1, 7, 8, 255, 256, 4097, 100_000, MAX_PAYLOAD_BYTES];
    lengths.forEach((n, i) => j.append(i + 1, payload(i + 1, n)));
    expect(() => j.append(lengths.length + 1, new Uint8Array(MAX_PAYLOAD_BYTES + 1))).toThrow(RangeError);
    j.commit();
    j.close();
    const got = readAll(open(dir));
    expect(got.map((r) => r.payload.length)).toEqual(lengths);
    got.forEach((r, i) => expect(r.payload, `payload ${i}`).toEqual(payload(i + 1, lengths[i])));
  });

  test("one batch far larger than the initial batch buffer is written whole", () => {
    const dir = tempDir();
    const j = open(dir);
    for (let seq = 1; seq <= 20_000; seq++) j.append(seq, payload(seq));
    expect(j.commit()).toBe(20_000);
    expect(segmentFiles(dir).map(size), "one segment holding the whole batch").toEqual([20_000 * RECORD_BYTES]);
    j.close();
    expectRecords(open(dir), 1, 20_000, "a 5 MB batch");
  });
});

describe("an empty journal", () => {
  test("an empty directory is a valid empty journal, and opening creates no file", () => {
    const dir = tempDir();
    const j = open(dir);
    expect([j.firstSeq, j.lastSeq, j.durableSeq, j.truncatedBytes]).toEqual([0, 0, 0, 0]);
    expect(readAll(j)).toEqual([]);
    expect(j.commit(), "committing nothing does nothing").toBe(0);
    expect(segmentFiles(dir)).toEqual([]);
    expect(verifyJournal(dir)).toEqual({ segments: [], records: 0, firstSeq: 0, lastSeq: 0 });
  });

  test("a missing directory is created", () => {
    const dir = path.join(tempDir(), "a", "b");
    const j = open(dir);
    write(j, 1, 3);
    expect(segmentFiles(dir).map((f) => path.basename(f))).toEqual([segmentName(1)]);
  });

  test("the first record may carry any positive seq (a journal that starts after a snapshot)", () => {
    const dir = tempDir();
    const j = open(dir);
    expect(() => j.append(0, payload(0))).toThrow(RangeError);
    expect(() => j.append(1.5, payload(1))).toThrow(RangeError);
    write(j, 5000, 5009);
    expect(segmentFiles(dir).map((f) => path.basename(f))).toEqual(["journal-00000000000000005000.seg"]);
    j.close();
    const k = open(dir);
    expect([k.firstSeq, k.lastSeq]).toEqual([5000, 5009]);
    expectRecords(k, 5000, 5009, "a journal starting at 5000");
  });

  test("files that are not segments are ignored", () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "README"), "not a segment");
    fs.writeFileSync(path.join(dir, "journal-1.seg"), "a name without 20 digits");
    expect(open(dir).lastSeq).toBe(0);
  });
});

describe("sequence numbers", () => {
  test("append throws on a gap or a repeat and leaves the journal unchanged", () => {
    const dir = tempDir();
    const j = open(dir);
    write(j, 1, 5);
    j.append(6, payload(6));
    expect(() => j.append(8, payload(8)), "a gap").toThrow("seq 8 does not follow seq 6");
    expect(() => j.append(6, payload(6)), "a repeat").toThrow("seq 6 does not follow seq 6");
    expect(() => j.append(5, payload(5)), "going back").toThrow(RangeError);
    expect(j.lastSeq).toBe(6);
    j.commit();
    j.close();
    expectRecords(open(dir), 1, 6, "after refused appends");
  });
});

describe("group commit", () => {
  test("durableSeq advances only on commit, to the last seq appended", () => {
    const dir = tempDir();
    const j = open(dir);
    for (let seq = 1; seq <= 5; seq++) j.append(seq, payload(seq));
    expect([j.lastSeq, j.durableSeq], "appended, not committed").toEqual([5, 0]);
    expect(segmentFiles(dir), "append alone writes nothing").toEqual([]);
    expect(readAll(j), "read sees only committed records").toEqual([]);
    expect(j.commit()).toBe(5);
    expect(j.durableSeq).toBe(5);
    j.append(6, payload(6));
    expect(j.durableSeq).toBe(5);
    expect(readAll(j).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(j.commit()).toBe(6);
    expect(j.commit(), "an empty commit changes nothing").toBe(6);
  });

  test("close drops an uncommitted batch", () => {
    const dir = tempDir();
    const j = open(dir);
    write(j, 1, 3);
    j.append(4, payload(4));
    j.append(5, payload(5));
    j.close();
    expect(() => j.append(6, payload(6)), "a closed journal refuses appends").toThrow("closed");
    const k = open(dir);
    expect([k.lastSeq, k.durableSeq, k.truncatedBytes]).toEqual([3, 3, 0]);
  });

  test("a directory can be open for writing only once in a process", () => {
    const dir = tempDir();
    const j = open(dir);
    expect(() => open(dir)).toThrow("already open");
    j.close();
    expect(open(dir).lastSeq).toBe(0);
  });
});

describe("staged records (encoding in place)", () => {
  /** Stages `payload(seq)` the way the sequencer does: reserve, write the payload in place, stage. */
  function stage(j: Journal, seq: number, length = PAYLOAD): void {
    const at = j.reserve(length);
    j.buffer.set(payload(seq, length), at);
    j.stage();
  }

  test("staged then appended records are the same bytes on disk as appended ones", () => {
    const a = tempDir();
    const b = tempDir();
    const ja = open(a);
    const jb = open(b);
    for (let seq = 1; seq <= 300; seq++) {
      ja.append(seq, payload(seq, seq % 7 === 0 ? 0 : PAYLOAD + (seq % 5)));
      stage(jb, seq, seq % 7 === 0 ? 0 : PAYLOAD + (seq % 5));
      jb.appendStaged(seq);
      if (seq % 64 === 0) {
        ja.commit();
        jb.commit();
      }
    }
    ja.commit();
    jb.commit();
    expect(segmentFiles(b).map((f) => path.basename(f))).toEqual(segmentFiles(a).map((f) => path.basename(f)));
    for (const [fa, fb] of segmentFiles(a).map((f, i) => [f, segmentFiles(b)[i]!] as const)) expect(fs.readFileSync(fb).equals(fs.readFileSync(fa))).toBe(true);
  });

  test("a payload patched between stage and appendStaged is journaled as patched, with a matching CRC", () => {
    const dir = tempDir();
    const j = open(dir);
    for (let seq = 1; seq <= 10; seq++) stage(j, 0);
    for (let seq = 1; seq <= 10; seq++) {
      // The sequencer's patch: the payload is payload(0) until its seq is known.
      j.buffer.set(payload(seq), j.stagedPayload);
      j.appendStaged(seq);
    }
    expect(j.hasStaged).toBe(false);
    j.commit();
    j.close();
    expectRecords(open(dir), 1, 10, "patched records after a reopen (each CRC checked as it is read)");
  });

  test("records staged beyond a batch move to the next one when it is written, also past buffer growth", () => {
    const dir = tempDir();
    const j = open(dir);
    // 64 KiB initial batch buffer: 1,000 staged records make it grow several times.
    for (let seq = 1; seq <= 1000; seq++) stage(j, seq);
    for (let seq = 1; seq <= 400; seq++) j.appendStaged(seq);
    expect(j.commit(), "the write takes the 400 appended, not the 600 staged after them").toBe(400);
    expect(j.hasStaged).toBe(true);
    for (let seq = 401; seq <= 1000; seq++) {
      expect(j.stagedPayload, "the oldest staged record is at the front of the buffer after the write").toBe(HEADER_BYTES + (seq - 401) * RECORD_BYTES);
      j.appendStaged(seq);
    }
    j.commit();
    j.close();
    expectRecords(open(dir), 1, 1000, "after staging across a write");
  });

  test("reserve without stage stages nothing; dropStaged forgets what was staged", () => {
    const dir = tempDir();
    const j = open(dir);
    write(j, 1, 3);
    j.reserve(PAYLOAD);
    expect(j.hasStaged, "an encode that threw between reserve and stage leaves nothing").toBe(false);
    expect(() => j.appendStaged(4)).toThrow("nothing is staged");
    j.stage();
    expect(j.hasStaged).toBe(true);
    expect(() => j.stage(), "one stage per reserve").toThrow("nothing reserved");
    j.dropStaged();
    expect(j.hasStaged).toBe(false);
    stage(j, 4);
    stage(j, 5);
    expect(() => j.append(4, payload(4)), "append cannot jump the staged records").toThrow("staged");
    j.appendStaged(4);
    j.dropStaged();
    expect(j.hasStaged).toBe(false);
    j.append(5, payload(5));
    j.commit();
    j.close();
    expectRecords(open(dir), 1, 5, "after a drop");
  });

  test("appendStaged follows append's seq rules and refuses a closed journal", () => {
    const dir = tempDir();
    const j = open(dir);
    write(j, 1, 2);
    stage(j, 3);
    expect(() => j.appendStaged(4), "a gap").toThrow("seq 4 does not follow seq 2");
    expect(() => j.appendStaged(2), "a repeat").toThrow(RangeError);
    expect(j.hasStaged).toBe(true);
    j.appendStaged(3);
    stage(j, 4);
    j.close();
    expect(() => j.appendStaged(4)).toThrow("closed");
    expect(() => j.reserve(MAX_PAYLOAD_BYTES + 1)).toThrow(RangeError);
    expectRecords(open(dir), 1, 2, "the uncommitted and the staged record are dropped at close");
  });

  test("a read-only journal refuses to stage", () => {
    const dir = tempDir();
    write(open(dir), 1, 2);
    journals.splice(0).forEach((j) => j.close());
    expect(() => open(dir, { readOnly: true }).reserve(PAYLOAD)).toThrow("read-only");
  });
});

describe("read ranges", () => {
  test("read(from, until) yields exactly the committed seqs in [from, until]", () => {
    const dir = tempDir();
    const j = open(dir, { segmentBytes: 3000 });
    write(j, 101, 400, 9);
    const cases: [number | undefined, number | undefined, number, number][] = [
      [undefined, undefined, 101, 400],
      [101, 400, 101, 400],
      [1, 1e9, 101, 400],
      [150, undefined, 150, 400],
      [undefined, 150, 101, 150],
      [200, 200, 200, 200],
      [110, 111, 110, 111], // both ends inside one segment
      [109, 222, 109, 222], // across segments
      [300, 299, 1, 0], // empty: from > until
      [401, 500, 1, 0], // after the end
      [1, 100, 1, 0], // before the start
    ];
    for (const [from, until, lo, hi] of cases) {
      const got = readAll(j, from, until);
      expect(got.map((r) => r.seq), `read(${from}, ${until})`).toEqual(range(lo, hi));
      for (const r of got) expect(r.payload).toEqual(payload(r.seq));
    }
  });

  test("reads that start deep inside large segments find their first record (the sparse index)", () => {
    const dir = tempDir();
    const j = open(dir, { segmentBytes: 3 << 20 });
    write(j, 1, 30_000, 1000); // ~8 MB: three segments of ~3 MB, each with index entries every 1 MB
    for (const from of [1, 3855, 3856, 3857, 11_000, 11_563, 11_564, 25_000, 29_999, 30_000]) {
      const got = readAll(j, from, from + 2);
      expect(got.map((r) => r.seq), `read(${from}, ${from + 2})`).toEqual(range(from, Math.min(from + 2, 30_000)));
      for (const r of got) expect(r.payload).toEqual(payload(r.seq));
    }
    j.close();
    const k = open(dir, { segmentBytes: 3 << 20 });
    expect(readAll(k, 12_345, 12_345).map((r) => r.seq), "and after a reopen, from the index the scan built").toEqual([12_345]);
  });

  test("a read started before a commit ends at the durableSeq it started with", () => {
    const dir = tempDir();
    const j = open(dir);
    write(j, 1, 10);
    const it = j.read();
    expect(it.next().value?.seq).toBe(1);
    write(j, 11, 20);
    expect([...mapRead(j)].length).toBe(20);
    expect([1, ...[...it].map((r) => r.seq)]).toEqual(range(1, 10));
  });
});

describe("each(): the replay's reader", () => {
  test("hands over the same records as read(), across segments, and stops when told", () => {
    const dir = tempDir();
    const j = open(dir, { segmentBytes: 4096 });
    write(j, 1, 300, 9);
    const got: { seq: number; payload: Uint8Array }[] = [];
    const last = j.each(5, 250, (seq, buf, start, length) => void got.push({ seq, payload: buf.slice(start, start + length) }));
    expect(last).toBe(250);
    expect(got).toEqual(readAll(j, 5, 250));
    const seen: number[] = [];
    expect(j.each(40, Infinity, (seq) => seen.push(seq) < 3)).toBe(42);
    expect(seen).toEqual([40, 41, 42]);
  });

  test("verify: false trusts the checksums open() has just checked; the default checks them again", () => {
    const dir = tempDir();
    const j = open(dir);
    write(j, 1, 5);
    // Damage seq 3's payload after the journal scanned it: framing intact, checksum wrong.
    flipByte(segmentFiles(dir)[0]!, 2 * RECORD_BYTES + HEADER_BYTES + 10);
    const seqs: number[] = [];
    expect(j.each(1, Infinity, (seq) => void seqs.push(seq), false)).toBe(5);
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    expect(() => j.each(1, Infinity, () => {})).toThrow(JournalCorruptError);
    // And a reopen, whose scan checks every record, names it.
    j.close();
    expect(() => open(dir)).toThrow(JournalCorruptError);
  });
});

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
