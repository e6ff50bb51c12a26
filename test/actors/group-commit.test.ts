/**
 * Pipelined group commit (docs/journal.md, "Group commit"): batches are written while an fdatasync
 * runs on the syncer thread, and a batch is delivered only once a sync that started after its
 * write has completed. The syncer's test hooks (a delay before every fdatasync, an injected EIO)
 * stand in for a slow or failing disk.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { seedCommands } from "../../app/config.ts";
import { Journal, verifyJournal } from "../../actors/journal/journal.ts";
import { LoadStream } from "../../cli/demo-load.ts";
import { paths, recover, stateHash } from "../../actors/recovery.ts";
import { EngineStoppedError, Runtime, type RuntimeOptions } from "../../actors/runtime.ts";
import { listSnapshots } from "../../actors/snapshot/snapshot-store.ts";
import { SYNC, type Syncer } from "../../actors/journal/syncer.ts";
import { WorkerHost } from "../../actors/worker-host.ts";
import { Command, CommandType, makeCommand } from "../../engine/commands.ts";
import { demoConfig, hostsPerTest } from "./temp-dirs.ts";

const ROOT = join(import.meta.dir, "../..");
const config = demoConfig;
const { dataDir, runtimes: open, workers: hosts } = hostsPerTest("bourse-gc-");

function start(dir: string, extra: Partial<RuntimeOptions> = {}): Runtime {
  const rt = Runtime.start({ config: config.exchange, dataDir: dir, snapshotEvery: 0, hashEvery: 0, ...extra });
  open.push(rt);
  return rt;
}

function internals(rt: Runtime): { journal: Journal; syncer: Syncer } {
  const journal = (rt as unknown as { journal: Journal }).journal;
  return { journal, syncer: journal.syncer! };
}

/** The syncer's DONE as a full seq (the journal's own durableSeq may also count a rollover's sync). */
function syncerDone(rt: Runtime): number {
  const { journal, syncer } = internals(rt);
  const requested = (journal as unknown as { requestedSeq: number }).requestedSeq;
  return requested - (((requested | 0) - syncer.done) | 0);
}

const tick = () => new Promise((r) => setTimeout(r, 1));

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick();
  }
}

/** Submits `n` load commands, `perTurn` per event-loop turn, with tokens 1..n. */
async function load(rt: Runtime | WorkerHost, n: number, perTurn: number, seed = 5): Promise<void> {
  const stream = new LoadStream(config.exchange, [1, 2, 3, 4], seed, 1_000_000);
  const cmd = new Command();
  for (let i = 1; i <= n; i++) {
    rt.submit(stream.next(cmd), i);
    if (i % perTurn === 0) await new Promise((r) => setImmediate(r));
  }
}

function seed(rt: Runtime | WorkerHost): void {
  for (const c of seedCommands(config)) rt.submit(c);
}

/** The segment files of a journal directory, in seq order. */
function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".seg"))
    .sort()
    .map((f) => join(dir, f));
}

/** This process's fds open on segment files of `dir`. */
function segmentFds(dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir) && target.endsWith(".seg")) out.push(`${fd} → ${target}`);
    } catch {
      // closed while we looked (the readdir's own fd)
    }
  }
  return out;
}

describe("journal: write, then sync on the syncer thread", () => {
  const journals: Journal[] = [];
  afterEach(() => {
    for (const j of journals.splice(0)) j.close();
  });
  function openJournal(extra: Partial<Parameters<typeof Journal.open>[0]> = {}): Journal {
    const j = Journal.open({ dir: join(dataDir(), "journal"), ...extra });
    journals.push(j);
    return j;
  }
  const payload = new Uint8Array(256).fill(7);
  function append(j: Journal, n: number): void {
    for (let i = 0; i < n; i++) j.append(j.lastSeq + 1, payload);
  }

  test("without a syncer, write() hands the batch to the OS and only sync() (or commit()) makes it durable", () => {
    const j = openJournal();
    append(j, 10);
    expect(j.write()).toBe(10);
    expect(j.writtenSeq).toBe(10);
    expect(j.durableSeq).toBe(0);
    expect([...j.read()].length).toBe(0);
    expect(j.sync()).toBe(10);
    append(j, 5);
    expect(j.commit()).toBe(15);
  });

  test("with a syncer, durableSeq follows the syncs it completes; read() stops at durableSeq", async () => {
    const j = openJournal();
    j.startSyncer({ delayMs: 150 });
    const syncer = j.syncer!;
    append(j, 10);
    j.write();
    append(j, 10);
    j.write();
    expect(j.durableSeq).toBe(0);
    expect([...j.read()].length).toBe(0);
    await until("the syncer", () => j.durableSeq === 20);
    // The first request's sync was still sleeping when the second came: one or two syncs in all.
    expect(syncer.syncs).toBeLessThanOrEqual(2);
    let n = 0;
    for (const r of j.read()) n += r.seq > 0 ? 1 : 0;
    expect(n).toBe(20);
  });

  test("the syncer writes the bytes: nothing reaches the file from write(), and sync() waits for the syncer", () => {
    const j = openJournal();
    // A syncer that sleeps half a second before each write and sync: what is on disk, and when, says who wrote it.
    j.startSyncer({ delayMs: 500 });
    const syncer = j.syncer!;
    append(j, 3);
    j.write();
    const file = segmentFiles(j.dir)[0]!;
    // The segment exists (this thread creates it) but this thread wrote none of its bytes.
    expect(statSync(file).size).toBe(0);
    expect(j.durableSeq).toBe(0);
    expect(j.sync()).toBe(3);
    expect(syncer.syncs).toBeGreaterThanOrEqual(1);
    expect(statSync(file).size).toBe(3 * 272);
  });

  test("a write that fills its segment waits until it is durable, and the segment's fd is closed then", async () => {
    const j = openJournal({ segmentBytes: 4 * 272 });
    j.startSyncer();
    append(j, 1);
    j.write();
    await until("the syncer", () => j.durableSeq === 1);
    // Counted on this journal's segment files only: other tests' threads open and close fds too.
    const fds = segmentFds(j.dir).length;
    const syncer = j.syncer!;
    syncer.setFaults(150);
    append(j, 1);
    j.write();
    expect(j.durableSeq).toBe(1);
    append(j, 2);
    j.write(); // fills the first segment: this thread waits for the syncer to make it durable
    expect(j.durableSeq).toBe(4);
    expect(segmentFds(j.dir).length).toBe(fds - 1);
    append(j, 1);
    j.write();
    expect(segmentFds(j.dir).length).toBe(fds);
    await until("the syncer", () => j.durableSeq === 5);
    expect(segmentFiles(j.dir).map((f) => statSync(f).size)).toEqual([4 * 272, 272]);
  });

  test("batches larger than the syncer's ring go through it in pieces, wrapping around, byte for byte", () => {
    const j = openJournal();
    // A 1,000-byte ring: every batch below wraps it, and the largest is three times its size.
    j.startSyncer({ ringBytes: 1000 });
    const syncer = j.syncer!;
    const sizes = [1, 3, 11, 2, 7];
    let seq = 0;
    for (const n of sizes) {
      for (let i = 0; i < n; i++) {
        seq++;
        j.append(seq, new Uint8Array(200 + (seq % 50)).fill(seq & 0xff));
      }
      j.write();
    }
    expect(j.sync()).toBe(seq);
    expect(syncer.fullWaits).toBeGreaterThan(0);
    const got = [...j.read(1)].map((r) => [r.seq, r.payload.length, r.payload.every((b) => b === (r.seq & 0xff))]);
    expect(got).toEqual(Array.from({ length: seq }, (_, i) => [i + 1, 200 + ((i + 1) % 50), true]));
  });

  test("an fdatasync failure on the syncer thread makes the journal refuse further use", async () => {
    const j = openJournal();
    j.startSyncer({ failAfter: 1 });
    append(j, 1);
    j.write();
    await until("the first sync", () => j.durableSeq === 1);
    append(j, 1);
    j.write();
    await until("the failure", () => j.failure !== null);
    expect(String(j.failure)).toContain("EIO");
    expect(j.durableSeq).toBe(1);
    expect(() => j.write()).toThrow(/failed earlier/);
    expect(() => j.sync()).toThrow(/failed earlier/);
  });

  test("close() stops the syncer before it closes the fds the syncer was given", () => {
    const j = openJournal();
    j.startSyncer({ delayMs: 50 });
    const syncer = j.syncer!;
    append(j, 2);
    j.write();
    j.close();
    expect(Atomics.load(syncer.cells, 33 /* SYNC.STOPPED */)).toBe(1);
    expect(j.syncer).toBeNull();
  });
});

describe("pipelined group commit, embedded (workers 0)", () => {
  test("no delivery precedes the syncer's fdatasync of its command, and writing runs ahead of syncing", async () => {
    const rt = start(dataDir(), { syncerFaults: { delayMs: 3 } });
    seed(rt);
    const seen: number[] = [];
    let behind = 0;
    let ranAhead = 0;
    rt.onDelivery((seq, token) => {
      if (token === 0) return;
      seen.push(seq);
      if (syncerDone(rt) < seq || rt.durableSeq < seq) behind++;
      if (rt.lastSeq > seq) ranAhead++;
    });
    await load(rt, 3000, 50);
    await until("every delivery", () => seen.length === 3000);
    expect(behind, "deliveries before the syncer's DONE covered them").toBe(0);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBe(seen[i - 1]! + 1);
    // The engine went on executing and writing while syncs were in flight.
    expect(ranAhead).toBeGreaterThan(0);
  }, 30_000);

  test("many batches written during one slow fdatasync are all delivered after it, in order, by few syncs", async () => {
    const rt = start(dataDir());
    seed(rt);
    await until("the seed", () => rt.lastSeq > 0 && rt.pendingBatches === 0 && rt.durableSeq === rt.lastSeq);
    const { syncer } = internals(rt);
    syncer.setFaults(400);
    const syncsBefore = syncer.syncs;
    const got: number[] = [];
    rt.onDelivery((_seq, token) => void got.push(token));
    const t0 = performance.now();
    let firstAt = 0;
    rt.onDelivery(() => {
      if (firstAt === 0) firstAt = performance.now() - t0;
    });
    // 20 turns of 10: 20 batches, each written at once while the first sync sleeps.
    await load(rt, 200, 10);
    expect(rt.lastSeq - rt.durableSeq).toBe(200);
    expect(rt.pendingBatches).toBe(20);
    expect(got.length).toBe(0);
    await until("every delivery", () => got.length === 200);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(firstAt).toBeGreaterThanOrEqual(350);
    // One sync for the first batch, one (or two, if a batch landed late) for the other 19.
    expect(syncer.syncs - syncsBefore).toBeLessThanOrEqual(3);
  }, 30_000);

  test("requests made while the syncer is inside a sync do not wake it: it finds them when the sync returns", async () => {
    const rt = start(dataDir());
    seed(rt);
    await until("the seed", () => rt.lastSeq > 0 && rt.pendingBatches === 0 && rt.durableSeq === rt.lastSeq);
    const { syncer } = internals(rt);
    syncer.setFaults(1000);
    const got: number[] = [];
    rt.onDelivery((_seq, token) => void got.push(token));
    // One batch wakes the parked syncer, which then sleeps 1 s before its fdatasync...
    await load(rt, 10, 10);
    await until("the syncer to leave its park", () => Atomics.load(syncer.cells, SYNC.PARKED) === 0);
    const rings = syncer.rings;
    // ...while 19 more are written: each a request, none of which needs a futex call to be seen.
    await load(rt, 190, 10, 6);
    expect(rt.pendingBatches).toBe(20);
    expect(syncer.rings - rings).toBe(0);
    await until("every delivery", () => got.length === 200);
    expect(rt.durableSeq).toBe(rt.lastSeq);
  }, 30_000);

  test("a failed fdatasync stops the runtime: what it covered is never delivered, commands are refused, a restart recovers", async () => {
    const dir = dataDir();
    const rt = start(dir, { syncerFaults: { failAfter: 3 } });
    const delivered: number[] = [];
    rt.onDelivery((seq) => void delivered.push(seq));
    seed(rt);
    // Paced, so that the batches need more syncs than the syncer will complete.
    const stream = new LoadStream(config.exchange, [1, 2, 3, 4], 5, 1_000_000);
    const cmd = new Command();
    const t0 = performance.now();
    for (let i = 0; !rt.stopped && performance.now() - t0 < 8_000; i++) {
      rt.submit(stream.next(cmd), i + 1);
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 2));
    }
    await until("the runtime to stop", () => rt.stopped);
    expect(() => rt.submit(makeCommand({ type: CommandType.TICK }))).toThrow(EngineStoppedError);
    const lastDelivered = Math.max(0, ...delivered);
    expect(lastDelivered).toBeLessThanOrEqual(rt.durableSeq);
    expect(rt.lastSeq).toBeGreaterThan(rt.durableSeq);
    expect(rt.pendingBatches).toBe(0);
    // Nothing delivered later either (close() must not sync and deliver what the failure left).
    rt.close();
    expect(Math.max(0, ...delivered)).toBe(lastDelivered);
    // Everything delivered is in the journal after a restart.
    const again = start(dir, { fsync: false });
    expect(again.lastSeq).toBeGreaterThanOrEqual(lastDelivered);
  }, 30_000);

  test("close() drains: every written batch is made durable and delivered before it returns", async () => {
    const dir = dataDir();
    const rt = start(dir, { syncerFaults: { delayMs: 5_000 } });
    seed(rt);
    let delivered = 0;
    rt.onDelivery(() => void delivered++);
    await load(rt, 500, 25);
    const last = rt.lastSeq;
    expect(rt.pendingBatches).toBeGreaterThan(0);
    rt.close();
    expect(delivered).toBe(last);
    expect(rt.durableSeq).toBe(last);
    const j = Journal.open({ dir: paths(dir).journal, readOnly: true });
    expect(j.lastSeq).toBe(last);
    j.close();
  }, 30_000);

  test("segment rollovers while syncs are in flight lose nothing, and retired segments' fds are closed", async () => {
    const dir = dataDir();
    const rt = start(dir, { segmentBytes: 16 * 1024, syncerFaults: { delayMs: 2 } });
    seed(rt);
    await until("the seed", () => rt.lastSeq > 0 && rt.durableSeq === rt.lastSeq);
    const got: number[] = [];
    rt.onDelivery((seq, token) => {
      if (token !== 0) got.push(token);
      expect(seq).toBeLessThanOrEqual(rt.durableSeq);
    });
    await load(rt, 4000, 40);
    await until("every delivery", () => got.length === 4000);
    expect(got).toEqual(Array.from({ length: 4000 }, (_, i) => i + 1));
    const hash = stateHash(rt.exchange);
    const last = rt.lastSeq;
    // 20-odd segments later, once the syncer has caught up with the last request (a retired fd is
    // closed when the journal next sees that), no more fds are open than before.
    const requested = () => (internals(rt).journal as unknown as { requestedSeq: number }).requestedSeq;
    await until("the syncer to catch up", () => syncerDone(rt) === requested());
    void rt.durableSeq;
    expect(segmentFds(dir).length, segmentFds(dir).join(", ")).toBeLessThanOrEqual(1);
    rt.close();
    const v = verifyJournal(paths(dir).journal);
    expect(v.problem).toBeUndefined();
    expect(v.segments.length).toBeGreaterThan(20);
    expect(v.lastSeq).toBe(last);
    const r = recover({ dataDir: dir, config: config.exchange, readOnly: true, ignoreSnapshots: true });
    expect(r.seq).toBe(last);
    expect(stateHash(r.exchange)).toBe(hash);
  }, 60_000);

  test("a snapshot or hash line is never on disk ahead of the journal's durable seq", async () => {
    const dir = dataDir();
    const rt = start(dir, { snapshotEvery: 150, hashEvery: 100, syncerFaults: { delayMs: 4 } });
    seed(rt);
    let ahead = 0;
    let checks = 0;
    const check = () => {
      checks++;
      const newest = listSnapshots(paths(dir).snapshots)[0]?.seq ?? 0;
      if (newest > rt.durableSeq) ahead++;
    };
    rt.onDelivery(check);
    const stream = new LoadStream(config.exchange, [1, 2, 3, 4], 9, 1_000_000);
    const cmd = new Command();
    for (let i = 1; i <= 1500; i++) {
      rt.submit(stream.next(cmd), i);
      if (i % 30 === 0) {
        await new Promise((r) => setImmediate(r));
        check();
      }
    }
    await until("the load to be durable", () => rt.pendingBatches === 0 && rt.durableSeq === rt.lastSeq);
    await rt.settled();
    expect(ahead).toBe(0);
    expect(checks).toBeGreaterThan(50);
    expect(listSnapshots(paths(dir).snapshots).length).toBeGreaterThan(0);
    rt.close();
  }, 30_000);

  test("past 65,536 commands waiting for a sync, flush() holds the thread until the oldest batch is durable", async () => {
    // A slow disk: half a second before each write and sync.
    const rt = start(dataDir(), { syncerFaults: { delayMs: 500 } });
    seed(rt);
    let got = 0;
    let inOrder = true;
    rt.onDelivery((_seq, token) => {
      if (token === 0) return;
      if (token !== got + 1) inOrder = false;
      got = token;
    });
    const tick = makeCommand({ type: CommandType.TICK });
    for (let b = 0; b < 8; b++) {
      for (let i = 1; i <= 10_000; i++) rt.submit(tick, b * 10_000 + i);
      rt.flush();
      // Never more than the bound (plus the batch just written) waits: 80,000 would without it.
      expect(rt.lastSeq - rt.durableSeq).toBeLessThanOrEqual(65_536 + 10_000);
    }
    expect(got).toBeGreaterThan(0);
    // The rest waits for the syncer; close() waits for it too and delivers it.
    rt.close();
    expect(got).toBe(80_000);
    expect(inOrder).toBe(true);
  }, 30_000);

  test("fsync off: no syncer, and a batch is delivered inside the flush that wrote it", () => {
    const rt = start(dataDir(), { fsync: false });
    expect(internals(rt).journal.syncer).toBeNull();
    let n = 0;
    rt.onDelivery(() => void n++);
    seed(rt);
    rt.flush();
    expect(n).toBe(seedCommands(config).length);
    expect(rt.pendingBatches).toBe(0);
  });

  test("a script that awaits its deliveries is kept alive until they come, and exits once idle without close()", async () => {
    const dir = dataDir();
    const script = `
      import { Runtime } from ${JSON.stringify(join(ROOT, "actors/runtime.ts"))};
      import { loadConfig, seedCommands } from ${JSON.stringify(join(ROOT, "app/config.ts"))};
      const config = loadConfig(${JSON.stringify(join(ROOT, "config/demo.json"))});
      const rt = Runtime.start({ config: config.exchange, dataDir: ${JSON.stringify(dir)}, syncerFaults: { delayMs: 300 } });
      let n = 0;
      const cmds = seedCommands(config);
      rt.onDelivery(() => { if (++n === cmds.length) console.log("delivered " + n); });
      for (const c of cmds) rt.submit(c);
    `;
    const file = join(dir, "script.ts");
    await Bun.write(file, script);
    const child = Bun.spawn([process.execPath, file], { stdout: "pipe", stderr: "pipe" });
    const killer = setTimeout(() => child.kill(), 15_000);
    const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    clearTimeout(killer);
    expect(code, err).toBe(0);
    expect(out.trim()).toBe(`delivered ${seedCommands(config).length}`);
  }, 30_000);
});

describe("pipelined group commit, engine in a worker (workers 1)", () => {
  async function startHost(dir: string, extra: Partial<RuntimeOptions> = {}): Promise<WorkerHost> {
    const h = await WorkerHost.start({ config: config.exchange, dataDir: dir, snapshotEvery: 0, hashEvery: 0, ...extra });
    hosts.push(h);
    return h;
  }

  test("with a slow syncer, every command is delivered once, in order, and only once it is on disk", async () => {
    const dir = dataDir();
    const h = await startHost(dir, { segmentBytes: 64 * 1024, syncerFaults: { delayMs: 3 } });
    seed(h);
    const got: number[] = [];
    let checked = 0;
    h.onDelivery((seq, token) => {
      if (token === 0) return;
      got.push(token);
      if (token % 250 === 0) {
        const j = Journal.open({ dir: paths(dir).journal, readOnly: true });
        expect(j.lastSeq, `seq ${seq} delivered before it was journaled`).toBeGreaterThanOrEqual(seq);
        j.close();
        checked++;
      }
    });
    await load(h, 3000, 64);
    await until("every delivery", () => got.length === 3000, 20_000);
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    expect(checked).toBe(12);
    const last = await h.close();
    const r = recover({ dataDir: dir, config: config.exchange, readOnly: true });
    expect(r.seq).toBe(last);
  }, 30_000);

  test("an idle worker with a batch in a slow sync delivers it when the sync completes", async () => {
    const h = await startHost(dataDir(), { syncerFaults: { delayMs: 200 } });
    seed(h);
    // Nothing else is submitted: only the syncer's completion can wake the idle worker to deliver.
    const done = new Promise<void>((resolve) =>
      h.onDelivery((_s, token) => {
        if (token === 7) resolve();
      }),
    );
    h.submit(makeCommand({ type: CommandType.TICK }), 7);
    await done;
  }, 30_000);

  test("a failed fdatasync in the worker stops the host", async () => {
    const h = await startHost(dataDir(), { syncerFaults: { failAfter: 3 } });
    seed(h);
    let delivered = 0;
    h.onDelivery(() => void delivered++);
    // Paced, so that the batches need more syncs than the syncer will complete.
    let sent = 0;
    const t0 = performance.now();
    while (!h.stopped && performance.now() - t0 < 8_000) {
      h.submit(makeCommand({ type: CommandType.TICK }));
      sent++;
      await new Promise((r) => setTimeout(r, 2));
    }
    await until("the host to stop", () => h.stopped);
    expect(() => h.submit(makeCommand({ type: CommandType.TICK }))).toThrow(EngineStoppedError);
    expect(delivered).toBeLessThan(sent + seedCommands(config).length);
  }, 30_000);
});
