/**
 * actors/journal/journal.ts against real files: docs/journal.md ("Record format", "Segments", "Group
 * commit", "Recovery"). Every test works in its own temporary directory.
 */
import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { Journal, JournalCorruptError, MAX_PAYLOAD_BYTES, verifyJournal } from "../../actors/journal/journal.ts";
import { segmentName } from "../../actors/journal/segment.ts";
import { HEADER_BYTES } from "../../storage/record-file.ts";
import { closeJournals, journals, expectRecords, flipByte, mapRead, open, payload, PAYLOAD, range, readAll, RECORD_BYTES, segmentFiles, size, tempDir, write } from "./journal-fixture.ts";

afterEach(closeJournals);

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
