/**
 * The replay path of actors/recovery.ts and the record reader of storage/record-file.ts: what the per-record
 * shortcuts (one DataView over the reader's buffer, the remembered CRC of the length field) must
 * not change. Replayed state is judged by stateHash against the same commands executed directly.
 */
import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig, seedCommands } from "../../app/config.ts";
import { Journal, verifyJournal } from "../../actors/journal/journal.ts";
import { LoadStream } from "../../cli/demo-load.ts";
import { paths, recover, stateHash } from "../../actors/recovery.ts";
import { COMMAND_SLOT_BYTES, encodeCommand } from "../../actors/layout/schema.ts";
import { segmentName } from "../../actors/journal/segment.ts";
import { HEADER_BYTES, MAX_PAYLOAD_BYTES, READ_CHUNK } from "../../storage/record-file.ts";
import { Command } from "../../engine/commands.ts";
import { EventBuffer } from "../../engine/events.ts";
import { Exchange } from "../../engine/exchange.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "bourse-replay-"));
  dirs.push(d);
  return d;
}

const config = loadConfig(path.join(import.meta.dir, "../../config/demo.json"));

/** Seed commands then LoadStream commands, as bench/pipeline.ts builds its stream. */
function commands(count: number): Command[] {
  const seeds = seedCommands(config);
  const accounts = (config.accounts ?? []).map((a) => a.id);
  const load = new LoadStream(config.exchange, accounts, 7, seeds.length + 1);
  const cmds = [...seeds];
  while (cmds.length < count) cmds.push(load.next(new Command()));
  return cmds;
}

/** The command slot of `cmd` stamped with `seq`, padded to `length` bytes (zeros past the slot). */
function slot(cmd: Command, seq: number, length = COMMAND_SLOT_BYTES): Uint8Array {
  const bytes = new Uint8Array(length);
  encodeCommand(cmd, seq, new DataView(bytes.buffer), 0);
  return bytes;
}

/** State after executing `cmds` directly, with each command's time set to its seq (as journaled). */
function directHash(cmds: Command[]): string {
  const ex = new Exchange(config.exchange);
  const out = new EventBuffer();
  for (const c of cmds) {
    out.reset();
    ex.execute(c, out);
  }
  return stateHash(ex);
}

function stamp(cmds: Command[]): Command[] {
  cmds.forEach((c, i) => (c.time = i + 1));
  return cmds;
}

describe("replay", () => {
  test("a record that outgrows the reader's buffer mid-journal: every command still decodes from its own bytes", () => {
    const dir = tempDir();
    const cmds = stamp(commands(6000));
    const big = 3000;
    expect(HEADER_BYTES + MAX_PAYLOAD_BYTES).toBeGreaterThan(READ_CHUNK);
    const j = Journal.open({ dir: paths(dir).journal, fsync: false });
    cmds.forEach((c, i) => {
      // One payload longer than the reader's buffer: the reader replaces its buffer there, and
      // recovery must follow it to the new one rather than read the old one's stale bytes.
      j.append(i + 1, slot(c, i + 1, i + 1 === big ? MAX_PAYLOAD_BYTES : COMMAND_SLOT_BYTES));
      if ((i + 1) % 500 === 0) j.commit();
    });
    j.commit();
    j.close();

    const seqs: number[] = [];
    const rec = recover({ dataDir: dir, config: config.exchange, readOnly: true, ignoreSnapshots: true, onEvents: (seq) => seqs.push(seq) });
    expect(rec.replayed).toBe(cmds.length);
    expect(rec.seq).toBe(cmds.length);
    expect(rec.time).toBe(cmds.length);
    expect(seqs).toEqual(cmds.map((_, i) => i + 1));
    expect(stateHash(rec.exchange)).toBe(directHash(stamp(commands(6000))));
  });

  test("a point-in-time replay stops at the same state as executing the prefix", () => {
    const dir = tempDir();
    const cmds = stamp(commands(2500));
    const j = Journal.open({ dir: paths(dir).journal, fsync: false });
    cmds.forEach((c, i) => j.append(i + 1, slot(c, i + 1)));
    j.commit();
    j.close();
    const rec = recover({ dataDir: dir, config: config.exchange, untilSeq: 1234, ignoreSnapshots: true });
    expect(rec.seq).toBe(1234);
    expect(stateHash(rec.exchange)).toBe(directHash(stamp(commands(2500)).slice(0, 1234)));
  });

  test("a payload too short for a command stops the replay with its seq", () => {
    const dir = tempDir();
    const cmds = stamp(commands(20));
    const j = Journal.open({ dir: paths(dir).journal, fsync: false });
    cmds.forEach((c, i) => j.append(i + 1, i + 1 === 11 ? slot(c, i + 1).subarray(0, 100) : slot(c, i + 1)));
    j.commit();
    j.close();
    expect(() => recover({ dataDir: dir, config: config.exchange, readOnly: true, ignoreSnapshots: true })).toThrow(/journal record 11 is 100 bytes/);
    // A writable recovery that fails closes its journal: the directory is not left locked.
    expect(() => recover({ dataDir: dir, config: config.exchange, fsync: false, ignoreSnapshots: true })).toThrow(/journal record 11/);
    Journal.open({ dir: paths(dir).journal, fsync: false, readOnly: false }).close();
  });
});

test("a payload that cuts through its own client order id stops the replay with its seq", () => {
  const dir = tempDir();
  const cmds = stamp(commands(20));
  const j = Journal.open({ dir: paths(dir).journal, fsync: false });
  const at = cmds.findIndex((c) => c.clientOrderId.length > 1 && c.destination === "");
  expect(at, "the test needs a client order id to cut").toBeGreaterThanOrEqual(0);
  const cid = cmds[at]!.clientOrderId.length;
  cmds.forEach((c, i) => j.append(i + 1, i === at ? slot(c, i + 1).subarray(0, 112 + cid - 1) : slot(c, i + 1)));
  j.commit();
  j.close();
  expect(() => recover({ dataDir: dir, config: config.exchange, readOnly: true, ignoreSnapshots: true })).toThrow(new RegExp(`journal record ${at + 1} is ${112 + cid - 1} bytes, shorter than the ${112 + cid} its strings need`));
});

describe("RecordReader: the remembered CRC of the length field", () => {
  const lengths = [256, 100, 256, 7, 7, 256, 0, 256, 100];

  function write(dir: string): void {
    const j = Journal.open({ dir, fsync: false });
    lengths.forEach((n, i) => j.append(i + 1, new Uint8Array(n).fill(i + 1)));
    j.commit();
    j.close();
  }

  test("records of alternating lengths read back whole", () => {
    const dir = tempDir();
    write(dir);
    const j = Journal.open({ dir, readOnly: true });
    const got = [...j.read()].map((r) => ({ seq: r.seq, n: r.payload.length, first: r.payload[0] ?? -1 }));
    j.close();
    expect(got).toEqual(lengths.map((n, i) => ({ seq: i + 1, n, first: n === 0 ? -1 : i + 1 })));
  });

  test("a length field rewritten to another length the reader has just seen is still a CRC mismatch", () => {
    const dir = tempDir();
    write(dir);
    const file = path.join(dir, segmentName(1));
    const bytes = fs.readFileSync(file);
    // Record 3's length 256 becomes 100, the length the reader met just before at record 2, so
    // the CRC of that length comes from what it remembers. The bytes still frame a record that
    // fits, and valid records follow: corruption, found at record 3.
    let at = 0;
    for (let i = 0; i < 2; i++) at += HEADER_BYTES + lengths[i]!;
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, 100, true);
    fs.writeFileSync(file, bytes);
    const v = verifyJournal(dir);
    expect(v.problem?.kind).toBe("corrupt");
    expect(v.problem?.offset).toBe(at);
    expect(v.problem?.detail).toMatch(/CRC mismatch/);
  });
});
