import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FixStore, FixStoreCorruptError, storeKey } from "../../../gateway/fix/store.ts";

const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);
const msg = (seq: number) => new TextEncoder().encode(`8=FIX.4.4\x019=5\x0135=8\x0134=${seq}\x0110=000\x01`);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "fix-store-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("FixStore", () => {
  test("a new store starts at 1/1 with nothing stored", () => {
    const s = FixStore.open(dir, "CLIENT1", { autoFlush: false });
    expect(s.nextSenderSeq).toBe(1);
    expect(s.nextTargetSeq).toBe(1);
    expect([...s.range(1, 0)]).toEqual([]);
    s.close();
  });

  test("reopening restores both sequence numbers and every sent message", () => {
    const s = FixStore.open(dir, "CLIENT1", { autoFlush: false });
    for (let seq = 1; seq <= 5; seq++) s.append(seq, msg(seq));
    s.setNextTargetSeq(8);
    s.close();

    const r = FixStore.open(dir, "CLIENT1", { autoFlush: false });
    expect(r.nextSenderSeq).toBe(6);
    expect(r.nextTargetSeq).toBe(8);
    const got = [...r.range(2, 4)].map((m) => [m.seq, text(m.bytes)]);
    expect(got).toEqual([2, 3, 4].map((seq) => [seq, text(msg(seq))]));
    r.append(6, msg(6));
    expect(text(r.get(6))).toBe(text(msg(6)));
    r.close();
  });

  test("range reads flushed and still-buffered messages alike, and 0 means up to the last sent", () => {
    const s = FixStore.open(dir, "C", { autoFlush: false });
    s.append(1, msg(1));
    s.flush();
    s.append(2, msg(2));
    expect([...s.range(1, 0)].map((m) => m.seq)).toEqual([1, 2]);
    expect([...s.range(2, 99)].map((m) => text(m.bytes))).toEqual([text(msg(2))]);
    s.close();
  });

  test("skipped sequence numbers are absent, not invented", () => {
    const s = FixStore.open(dir, "C", { autoFlush: false });
    s.append(1, msg(1));
    s.append(4, msg(4));
    expect(s.nextSenderSeq).toBe(5);
    expect([...s.range(1, 0)].map((m) => m.seq)).toEqual([1, 4]);
    expect(s.get(2)).toBeUndefined();
    s.close();
    const r = FixStore.open(dir, "C", { autoFlush: false });
    expect([...r.range(1, 0)].map((m) => m.seq)).toEqual([1, 4]);
    r.close();
  });

  test("a sequence number is never reused", () => {
    const s = FixStore.open(dir, "C", { autoFlush: false });
    s.append(1, msg(1));
    expect(() => s.append(1, msg(1))).toThrow(RangeError);
    s.close();
  });

  test("reset starts over at 1/1 and forgets the stored messages, across a reopen too", () => {
    const s = FixStore.open(dir, "C", { autoFlush: false });
    for (let seq = 1; seq <= 3; seq++) s.append(seq, msg(seq));
    s.setNextTargetSeq(10);
    s.flush();
    s.setNextTargetSeq(11);
    s.flush();
    s.reset();
    expect(s.nextSenderSeq).toBe(1);
    expect(s.nextTargetSeq).toBe(1);
    expect([...s.range(1, 0)]).toEqual([]);
    s.append(1, msg(1));
    s.close();
    const r = FixStore.open(dir, "C", { autoFlush: false });
    expect(r.nextSenderSeq).toBe(2);
    expect(r.nextTargetSeq).toBe(1);
    r.close();
  });

  test("a torn last record is dropped on open and the file cut back to the last whole one", () => {
    const s = FixStore.open(dir, "C", { autoFlush: false });
    for (let seq = 1; seq <= 3; seq++) s.append(seq, msg(seq));
    s.close();
    const file = join(dir, "C.out");
    const size = statSync(file).size;
    truncateSync(file, size - 7);

    const r = FixStore.open(dir, "C", { autoFlush: false });
    expect(r.nextSenderSeq).toBe(3);
    expect([...r.range(1, 0)].map((m) => m.seq)).toEqual([1, 2]);
    r.append(3, msg(3));
    r.close();
    const again = FixStore.open(dir, "C", { autoFlush: false });
    expect([...again.range(1, 0)].map((m) => text(m.bytes))).toEqual([1, 2, 3].map((seq) => text(msg(seq))));
    again.close();
  });

  test("garbage after the last whole record is a torn tail too", () => {
    const s = FixStore.open(dir, "C", { autoFlush: false });
    s.append(1, msg(1));
    s.close();
    appendFileSync(join(dir, "C.out"), new Uint8Array(40).fill(0xab));
    const r = FixStore.open(dir, "C", { autoFlush: false });
    expect(r.nextSenderSeq).toBe(2);
    r.close();
  });

  test("a damaged record with whole ones after it refuses the open rather than reuse their seqs", () => {
    const s = FixStore.open(dir, "C", { autoFlush: false });
    for (let seq = 1; seq <= 3; seq++) s.append(seq, msg(seq));
    s.close();
    const file = join(dir, "C.out");
    const bytes = new Uint8Array(readFileSync(file));
    bytes[30]! ^= 0xff; // inside record 1's payload
    writeFileSync(file, bytes);
    expect(() => FixStore.open(dir, "C")).toThrow(FixStoreCorruptError);
  });

  test("a torn write of the inbound seq falls back to the other slot", () => {
    const s = FixStore.open(dir, "C", { autoFlush: false });
    s.setNextTargetSeq(5);
    s.flush();
    s.setNextTargetSeq(6);
    s.flush();
    s.close();
    // The last write went to one slot; damage it as a torn write would.
    const file = join(dir, "C.seqs");
    const bytes = new Uint8Array(readFileSync(file));
    const r0 = FixStore.open(dir, "C", { autoFlush: false });
    expect(r0.nextTargetSeq).toBe(6);
    r0.close();
    // Slots alternate, so 6 is in one and 5 in the other; losing either leaves a valid number.
    const survivors = [0, 1].map((slot) => {
      const torn = bytes.slice();
      torn[slot * 24 + 8]! ^= 0xff;
      writeFileSync(file, torn);
      const r = FixStore.open(dir, "C", { autoFlush: false });
      const seq = r.nextTargetSeq;
      r.close();
      return seq;
    });
    expect(survivors.sort()).toEqual([5, 6]);
  });

  test("without an explicit flush, changes reach the file at the end of the task", async () => {
    const s = FixStore.open(dir, "C");
    s.append(1, msg(1));
    s.setNextTargetSeq(3);
    expect(statSync(join(dir, "C.out")).size).toBe(0);
    await Promise.resolve();
    expect(statSync(join(dir, "C.out")).size).toBeGreaterThan(0);
    const other = FixStore.open(dir, "C", { autoFlush: false });
    expect(other.nextSenderSeq).toBe(2);
    expect(other.nextTargetSeq).toBe(3);
    other.close();
    s.close();
  });

  test("CompIDs become distinct file names that stay inside the directory", () => {
    expect(storeKey("CLIENT_1-a")).toBe("CLIENT_1-a");
    expect(storeKey("../x")).toBe("%2E%2E%2Fx");
    expect(storeKey("A/B")).not.toBe(storeKey("A_B"));
    expect(() => storeKey("")).toThrow(RangeError);
    FixStore.open(dir, "../evil", { autoFlush: false }).close();
    expect(readdirSync(dir).sort()).toEqual(["%2E%2E%2Fevil.out", "%2E%2E%2Fevil.seqs"]);
  });
});
