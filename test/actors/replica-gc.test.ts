/**
 * The snapshotter replica collects its own garbage (actors/snapshot/replica-gc.ts): its thread never
 * returns to its event loop, and without a collection the garbage of each snapshot stayed
 * resident until the next one. Real runtime, real worker; nothing here waits on a clock.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, seedCommands } from "../../app/config.ts";
import { LoadStream } from "../../cli/demo-load.ts";
import { Runtime } from "../../actors/runtime.ts";
import { COLLECT, EDEN_EVERY, ReplicaCollector } from "../../actors/snapshot/replica-gc.ts";
import { Command } from "../../engine/commands.ts";

const config = loadConfig(join(import.meta.dir, "../../config/demo.json"));
const dirs: string[] = [];
const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) {
    rt.close();
    await rt.settled();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test("after each snapshot or hash the replica runs a full collection that gives back the serialization's garbage", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bourse-replica-gc-"));
  dirs.push(dir);
  const EVERY = 2_000;
  const rt = Runtime.start({ config: config.exchange, dataDir: dir, fsync: false, snapshotEvery: EVERY, hashEvery: EVERY });
  open.push(rt);
  for (const c of seedCommands(config)) rt.submit(c);
  const load = new LoadStream(config.exchange, [1, 2, 3, 4], 7, 1_000_000);
  const cmd = new Command();
  // Past an eden multiple too, so the per-command path runs as well.
  const n = Math.max(3 * EVERY, EDEN_EVERY + 1);
  for (let i = 0; i < n; i++) {
    rt.submit(load.next(cmd));
    if (i % 500 === 499) rt.flush();
  }
  rt.flush();
  const target = Math.floor(rt.lastSeq / EVERY) * EVERY;
  await rt.snapshotter!.reach(() => target, () => rt.poll());
  const progress = rt.snapshotter!.progress;
  expect(progress.done(rt.lastSeq)).toBeGreaterThanOrEqual(target);
  const heap = progress.heap;
  // A full collection per multiple written (snapshot and hash share one), and one per growth of the window.
  expect(heap.collections).toBeGreaterThanOrEqual(target / EVERY);
  expect(heap.after).toBeGreaterThan(0);
  // The snapshot's bytes, its JSON text and the columns behind them are garbage by then.
  expect(heap.after).toBeLessThan(heap.before);
});

test("between snapshots: an eden collection every EDEN_EVERY commands, a full one when the window's arrays were replaced", () => {
  const gc = new ReplicaCollector();
  expect(gc.decide(EDEN_EVERY - 1, 1_000)).toBe(COLLECT.NONE);
  expect(gc.decide(EDEN_EVERY, 1_000)).toBe(COLLECT.EDEN);
  expect(gc.decide(2 * EDEN_EVERY, 1_000)).toBe(COLLECT.EDEN);
  // Grown (or its arena compacted): the old arrays are garbage only a full collection frees.
  expect(gc.decide(3 * EDEN_EVERY, 1_250)).toBe(COLLECT.FULL);
  expect(gc.decide(3 * EDEN_EVERY + 1, 2_000)).toBe(COLLECT.NONE);
  expect(gc.decide(4 * EDEN_EVERY, 2_000)).toBe(COLLECT.FULL);
  expect(gc.decide(5 * EDEN_EVERY, 2_000)).toBe(COLLECT.EDEN);
});
