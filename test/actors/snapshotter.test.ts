/**
 * The snapshotter replica (actors/snapshot/snapshotter.ts, docs/journal.md "Snapshots"): a worker that
 * keeps its own copy of the state by replaying the durable journal and writes the periodic
 * snapshots and hashes.log lines at exact multiples of the seq, so the engine thread never
 * serializes the state for them. Real files, real workers; nothing here waits on a clock.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seedCommands } from "../../app/config.ts";
import { Journal, verifyJournal } from "../../actors/journal/journal.ts";
import { JournalTail } from "../../actors/journal/journal-tail.ts";
import { LoadStream } from "../../cli/demo-load.ts";
import { paths, recover, stateHash } from "../../actors/recovery.ts";
import { Runtime, type RuntimeOptions } from "../../actors/runtime.ts";
import { listSnapshots, readSnapshotFile } from "../../actors/snapshot/snapshot-store.ts";
import { SNAP, STATE, WAKE_LAG, worthWaking } from "../../actors/snapshot/snapshotter.ts";
import { WorkerHost } from "../../actors/worker-host.ts";
import { Command } from "../../engine/commands.ts";
import { writeExchangeSnapshot } from "../../engine/exchange-snapshot.ts";
import { memoryLogger } from "../../log/memory.ts";
import { demoConfig, hostsPerTest } from "./temp-dirs.ts";

const config = demoConfig;
const { dataDir, runtimes: open, workers: hosts } = hostsPerTest("bourse-snapper-", true);

function start(dir: string, extra: Partial<RuntimeOptions> = {}): Runtime {
  const rt = Runtime.start({ config: config.exchange, dataDir: dir, ...extra });
  open.push(rt);
  return rt;
}

/** Resolves once `rt` has delivered every seq up to its lastSeq as of the call. */
function delivered(rt: Runtime): Promise<void> {
  const target = rt.lastSeq;
  if (rt.durableSeq >= target && rt.pendingBatches === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const off = rt.onDelivery((seq) => {
      if (seq < target) return;
      off();
      resolve();
    });
  });
}

/**
 * Seeds a fresh runtime, then submits `n` load commands in batches of `batch`. With `capture`,
 * a batch also ends at every multiple of `capture.every`, where the live state's snapshot bytes
 * are kept: what the replica must reproduce.
 */
function drive(rt: Runtime, n: number, batch: number, capture?: { every: number; live: Map<number, Uint8Array> }, seed = 11): void {
  if (rt.lastSeq === 0) {
    for (const c of seedCommands(config)) rt.submit(c);
    rt.flush();
  }
  const load = new LoadStream(config.exchange, [1, 2, 3, 4], seed, rt.lastSeq + 1_000_000);
  const cmd = new Command();
  let queued = 0;
  for (let i = 0; i < n; i++) {
    rt.submit(load.next(cmd));
    queued++;
    const seq = rt.lastSeq + queued;
    const due = capture !== undefined && seq % capture.every === 0;
    if (due || queued === batch) {
      rt.flush();
      queued = 0;
      if (due) capture.live.set(seq, writeExchangeSnapshot(rt.exchange));
    }
  }
  rt.flush();
}

/** The state a full replay of the journal reaches at `seq`, as snapshot bytes. */
function replayedAt(dir: string, seq: number): Uint8Array {
  const r = recover({ dataDir: dir, config: config.exchange, untilSeq: seq, ignoreSnapshots: true, readOnly: true });
  expect(r.seq).toBe(seq);
  return writeExchangeSnapshot(r.exchange);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe("waking a parked replica", () => {
  test("only for WAKE_LAG commands to replay or a snapshot or hash fallen due", () => {
    expect(worthWaking(100, 101, 100_000, 10_000)).toBe(false);
    expect(worthWaking(100, 100 + WAKE_LAG - 1, 100_000, 10_000)).toBe(false);
    expect(worthWaking(100, 100 + WAKE_LAG, 100_000, 10_000)).toBe(true);
    expect(worthWaking(9_999, 10_000, 100_000, 10_000)).toBe(true); // a hash at 10,000
    expect(worthWaking(10_000, 10_001, 100_000, 10_000)).toBe(false); // that hash is done
    expect(worthWaking(99_990, 100_001, 100_000, 0)).toBe(true); // a snapshot at 100,000
    expect(worthWaking(99_990, 99_999, 0, 0)).toBe(false); // none wanted
  });

  test("a replica left parked between due points still writes the hash when one falls due, without anyone waiting on it", async () => {
    const dir = dataDir();
    const rt = start(dir, { snapshotEvery: 0, hashEvery: 1000 });
    const replica = rt.snapshotter!;
    // One command a batch, each delivered before the next: the replica parks between them, and most
    // publishes leave it asleep.
    drive(rt, 0, 1);
    await delivered(rt);
    const load = new LoadStream(config.exchange, [1, 2, 3, 4], 5, 1_000_000);
    const cmd = new Command();
    while (rt.lastSeq < 2100) {
      rt.submit(load.next(cmd));
      rt.flush();
      await delivered(rt);
    }
    expect(rt.durableSeq).toBeGreaterThan(2000);
    // Watch DONE without ringing the bell (reach() would): only the publishes may wake it.
    const cells = replica.progress.cells;
    for (let tries = 0; replica.progress.done(rt.durableSeq) < 2000; tries++) {
      expect(tries).toBeLessThan(100);
      await Atomics.waitAsync(cells, SNAP.DONE, Atomics.load(cells, SNAP.DONE), 100).value;
    }
    const lines = readFileSync(join(dir, "hashes.log"), "utf8").trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
  });
});

describe("snapshotter replica", () => {
  test("its snapshot at seq s is byte-identical to the live exchange's snapshot at s", async () => {
    const dir = dataDir();
    const rt = start(dir, { snapshotEvery: 500, hashEvery: 0, keepSnapshots: 100 });
    const live = new Map<number, Uint8Array>();
    drive(rt, 2600, 97, { every: 500, live });
    await rt.settled();
    const files = listSnapshots(paths(dir).snapshots).reverse();
    expect(files.map((f) => f.seq)).toEqual([...live.keys()]);
    for (const { seq, file } of files) {
      const s = readSnapshotFile(file);
      expect(s.seq).toBe(seq);
      expect(sameBytes(s.state, live.get(seq)!), `snapshot at seq ${seq} differs from the live state's`).toBe(true);
    }
    expect(rt.snapshotter!.progress.snapshots).toBe(live.size);
  }, 30_000);

  test("recovery from its newest snapshot plus the journal after it equals a full replay", async () => {
    const dir = dataDir();
    const rt = start(dir, { snapshotEvery: 400 });
    drive(rt, 1900, 61);
    const last = rt.lastSeq;
    const liveHash = stateHash(rt.exchange);
    await rt.settled();
    rt.close();
    const r = recover({ dataDir: dir, config: config.exchange, readOnly: true });
    expect(r.snapshotSeq, "recovery started from the replica's snapshot").toBe(Math.floor(last / 400) * 400);
    expect(r.replayed).toBe(last - r.snapshotSeq);
    const full = recover({ dataDir: dir, config: config.exchange, readOnly: true, ignoreSnapshots: true });
    expect(stateHash(r.exchange)).toBe(stateHash(full.exchange));
    expect(stateHash(r.exchange)).toBe(liveHash);
  }, 30_000);

  test("hashes.log lines fall at exact multiples of hashEvery, whatever the batches, and match a replay", async () => {
    const dir = dataDir();
    const rt = start(dir, { snapshotEvery: 0, hashEvery: 200 });
    drive(rt, 1300, 97);
    const last = rt.lastSeq;
    await rt.settled();
    rt.close();
    const lines = readFileSync(paths(dir).hashes, "utf8").trim().split("\n");
    const seqs = lines.map((l) => Number(l.split(" ")[0]));
    expect(seqs).toEqual(Array.from({ length: Math.floor(last / 200) }, (_, i) => (i + 1) * 200));
    for (const line of lines) {
      const [seq, time, hash] = line.split(" ");
      const r = recover({ dataDir: dir, config: config.exchange, untilSeq: Number(seq), ignoreSnapshots: true, readOnly: true });
      expect(stateHash(r.exchange), `hash at seq ${seq}`).toBe(hash!);
      expect(Number(time), `time at seq ${seq}`).toBe(r.time);
    }
  }, 30_000);

  test("follows the journal across segment roll-overs, and resumes mid-journal after a restart", async () => {
    const dir = dataDir();
    const opts = { snapshotEvery: 250, hashEvery: 0, keepSnapshots: 100, segmentBytes: 4096 };
    const rt = start(dir, opts);
    drive(rt, 1200, 37);
    await rt.settled();
    rt.close();
    const again = start(dir, opts);
    drive(again, 900, 53, undefined, 12);
    await again.settled();
    again.close();
    const v = verifyJournal(paths(dir).journal);
    expect(v.problem).toBeUndefined();
    expect(v.segments.length).toBeGreaterThan(20);
    const files = listSnapshots(paths(dir).snapshots).reverse();
    expect(files.map((f) => f.seq)).toEqual(Array.from({ length: Math.floor(v.lastSeq / 250) }, (_, i) => (i + 1) * 250));
    for (const { seq, file } of files) expect(sameBytes(readSnapshotFile(file).state, replayedAt(dir, seq)), `snapshot at seq ${seq}`).toBe(true);
  }, 30_000);

  test("the engine keeps acknowledging while the replica is behind", async () => {
    const dir = dataDir();
    const rt = start(dir, { snapshotEvery: 200, hashEvery: 0, snapshotterHold: true });
    drive(rt, 1500, 50);
    await delivered(rt);
    // Every command acknowledged; the replica has not moved past where it started.
    const replica = rt.snapshotter!;
    expect(rt.durableSeq).toBe(rt.lastSeq);
    expect(replica.progress.done(rt.lastSeq)).toBe(0);
    expect(listSnapshots(paths(dir).snapshots)).toEqual([]);
    replica.release();
    await rt.settled();
    expect(replica.progress.done(rt.lastSeq)).toBe(rt.lastSeq);
    expect(replica.progress.snapshots).toBe(Math.floor(rt.lastSeq / 200));
    expect(listSnapshots(paths(dir).snapshots).map((f) => f.seq)).toEqual([3, 2, 1].map((k) => (Math.floor(rt.lastSeq / 200) - 3 + k) * 200));
  }, 30_000);

  test("close() with the replica mid-way returns, and leaves no partial snapshot file", async () => {
    const dir = dataDir();
    const rt = start(dir, { snapshotEvery: 100, hashEvery: 0, keepSnapshots: 1000, snapshotterHold: true });
    drive(rt, 3000, 100);
    await delivered(rt);
    const hash = stateHash(rt.exchange);
    const replica = rt.snapshotter!;
    replica.release();
    // Part way: through seq 1000, with some 20 snapshots still to write.
    await replica.progress.reach(() => 1000);
    rt.close();
    // After close, settled() resolves once the replica has stopped, wherever it was.
    await rt.settled();
    expect(replica.progress.state).toBe(STATE.STOPPED);
    expect(replica.progress.done(rt.lastSeq)).toBeGreaterThanOrEqual(1000);
    const names = readdirSync(paths(dir).snapshots);
    expect(names.filter((n) => n.endsWith(".tmp"))).toEqual([]);
    for (const { file } of listSnapshots(paths(dir).snapshots)) expect(() => readSnapshotFile(file)).not.toThrow();
    // A temporary file left by a process that died mid-write is removed by the next replica.
    const stale = "snapshot-00000000000000000100.snap.replica.tmp";
    writeFileSync(join(paths(dir).snapshots, stale), "half a snapshot");
    const again = start(dir, { hashEvery: 0 });
    expect(stateHash(again.exchange)).toBe(hash);
    await again.settled();
    expect(readdirSync(paths(dir).snapshots)).not.toContain(stale);
  }, 30_000);

  test("a replica that fails logs why, and the engine goes on", async () => {
    const dir = dataDir();
    // A file where the snapshots directory should be: the replica cannot write a snapshot.
    writeFileSync(paths(dir).snapshots, "not a directory");
    const mem = memoryLogger();
    const rt = start(dir, { snapshotEvery: 100, log: mem.log });
    drive(rt, 300, 50);
    await rt.settled();
    expect(rt.snapshotter!.progress.state).toBe(STATE.FAILED);
    expect(mem.records.filter((r) => r.msg === "snapshotter failed" && r.level === "error")).toHaveLength(1);
    expect(rt.stopped).toBe(false);
    drive(rt, 300, 50, undefined, 13);
    await delivered(rt);
    expect(rt.durableSeq).toBe(rt.lastSeq);
    const hash = stateHash(rt.exchange);
    rt.close();
    expect(stateHash(recover({ dataDir: dir, config: config.exchange, readOnly: true }).exchange)).toBe(hash);
  }, 30_000);

  test("with the engine in a worker (workers: 1), the engine worker's replica takes them", async () => {
    const dir = dataDir();
    const h = await WorkerHost.start({ config: config.exchange, dataDir: dir, snapshotEvery: 300, hashEvery: 300, keepSnapshots: 100 });
    hosts.push(h);
    for (const c of seedCommands(config)) h.submit(c);
    const load = new LoadStream(config.exchange, [1, 2, 3, 4], 5, 1_000_000);
    const cmd = new Command();
    const n = 1000;
    const done = new Promise<void>((resolve) => h.onDelivery((_seq, token) => token === n && resolve()));
    for (let i = 1; i <= n; i++) h.submit(load.next(cmd), i);
    await done;
    await h.settled();
    const last = h.lastSeq;
    await h.close();
    const want = Array.from({ length: Math.floor(last / 300) }, (_, i) => (i + 1) * 300);
    expect(listSnapshots(paths(dir).snapshots).map((f) => f.seq).reverse()).toEqual(want);
    expect(readFileSync(paths(dir).hashes, "utf8").trim().split("\n").map((l) => Number(l.split(" ")[0]))).toEqual(want);
    for (const { seq, file } of listSnapshots(paths(dir).snapshots)) expect(sameBytes(readSnapshotFile(file).state, replayedAt(dir, seq)), `snapshot at seq ${seq}`).toBe(true);
  }, 30_000);

  test('"inline" keeps snapshots on the engine thread, at batch ends, with no replica', async () => {
    const dir = dataDir();
    const rt = start(dir, { snapshotter: "inline", snapshotEvery: 300 });
    expect(rt.snapshotter).toBeNull();
    drive(rt, 1000, 100);
    const hash = stateHash(rt.exchange);
    rt.close();
    await rt.settled();
    expect(listSnapshots(paths(dir).snapshots).length).toBeGreaterThan(0);
    const r = recover({ dataDir: dir, config: config.exchange, readOnly: true });
    expect(r.snapshotSeq).toBeGreaterThan(0);
    expect(stateHash(r.exchange)).toBe(hash);
  }, 30_000);
});

describe("journal tail", () => {
  test("reads what the writer has written, only as far as asked, across segments and batches", () => {
    const dir = join(dataDir(), "journal");
    const j = Journal.open({ dir, fsync: false, segmentBytes: 1000 });
    const payload = (seq: number) => new Uint8Array(40 + (seq % 7)).fill(seq & 0xff);
    const tail = new JournalTail(dir, 1);
    const got: number[] = [];
    const read = (until: number) =>
      tail.read(until, (seq, p) => {
        expect([...p], `payload of seq ${seq}`).toEqual([...payload(seq)]);
        got.push(seq);
      });
    let seq = 0;
    for (let b = 0; b < 40; b++) {
      for (let k = 0; k <= b % 5; k++) {
        seq++;
        j.append(seq, payload(seq));
      }
      j.commit();
      // Written through `seq`; asked one short of it on odd batches.
      const until = b % 2 === 1 ? seq - 1 : seq;
      expect(read(until)).toBe(until);
    }
    expect(read(seq)).toBe(seq);
    expect(got).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    expect(readdirSync(dir).length).toBeGreaterThan(5);
    // Stopping early: the callback says when.
    const from = new JournalTail(dir, 10);
    const seen: number[] = [];
    expect(from.read(seq, (s) => seen.push(s) < 3)).toBe(12);
    expect(from.read(13, (s) => void seen.push(s))).toBe(13);
    expect(seen).toEqual([10, 11, 12, 13]);
    from.close();
    tail.close();
    j.close();
  });

  test("refuses to follow from a seq the journal does not hold", () => {
    const dir = join(dataDir(), "journal");
    mkdirSync(dir);
    const j = Journal.open({ dir, fsync: false });
    for (let s = 100; s < 110; s++) j.append(s, new Uint8Array(8));
    j.commit();
    expect(() => new JournalTail(dir, 50).read(105, () => {})).toThrow(/cannot be followed from seq 50: it starts at seq 100/);
    j.close();
  });
});
