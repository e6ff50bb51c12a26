/**
 * What the runtime tells an operator (docs/logging.md): the recovery figures at every start, and
 * an engine stop with its cause, as records at the right level.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, seedCommands } from "../../app/config.ts";
import { Runtime } from "../../actors/runtime.ts";
import { WorkerHost } from "../../actors/worker-host.ts";
import { CommandType, makeCommand, Side } from "../../engine/commands.ts";
import { memoryLogger } from "../../log/memory.ts";

const config = loadConfig(join(import.meta.dir, "../../config/demo.json"));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), "bourse-rtlog-"));
  dirs.push(d);
  return d;
}

/** Resolves when `rt` has delivered through `seq`. */
function deliveredThrough(rt: Runtime, seq: number): Promise<void> {
  return new Promise((resolve) => {
    const off = rt.onDelivery((s) => {
      if (s >= seq) {
        off();
        resolve();
      }
    });
  });
}

describe("runtime logs", () => {
  test("every start logs the recovery figures: seq, snapshot seq, commands replayed, duration", async () => {
    const dir = dataDir();
    const first = memoryLogger();
    const rt = Runtime.start({ config: config.exchange, dataDir: dir, log: first.log });
    expect(first.records).toEqual([expect.objectContaining({ level: "info", msg: "recovered", seq: 0, snapshotSeq: 0, replayed: 0 })]);
    const seeds = seedCommands(config);
    const done = deliveredThrough(rt, seeds.length);
    for (const c of seeds) rt.submit(c);
    rt.flush();
    await done;
    await rt.settled();
    rt.close();

    const second = memoryLogger();
    const again = Runtime.start({ config: config.exchange, dataDir: dir, log: second.log });
    const r = second.records.find((x) => x.msg === "recovered")!;
    expect(r).toMatchObject({ level: "info", seq: seeds.length, snapshotSeq: 0, replayed: seeds.length });
    expect(typeof r.durationMs).toBe("number");
    expect(r.durationMs as number).toBeGreaterThanOrEqual(0);
    again.close();
  });

  test("with the engine in a worker, its records reach the main thread's logger with their fields", async () => {
    const mem = memoryLogger({ level: "info" });
    const h = await WorkerHost.start({ config: config.exchange, dataDir: dataDir(), log: mem.log });
    try {
      expect(mem.records).toEqual([expect.objectContaining({ level: "info", msg: "recovered", seq: 0, snapshotSeq: 0, replayed: 0 })]);
      expect(typeof mem.records[0]!.durationMs).toBe("number");
    } finally {
      await h.close();
    }
  });

  test("an engine stop is logged at error with its cause, the command's seq and the error", async () => {
    const dir = dataDir();
    const mem = memoryLogger();
    const rt = Runtime.start({ config: config.exchange, dataDir: dir, log: mem.log });
    const original = rt.exchange.execute.bind(rt.exchange);
    rt.exchange.execute = (cmd, out) => {
      if (cmd.type === CommandType.NEW_ORDER && cmd.clientOrderId === "boom") throw new Error("engine bug");
      original(cmd, out);
    };
    rt.submit(makeCommand({ type: CommandType.TICK }));
    rt.submit(makeCommand({ type: CommandType.NEW_ORDER, account: 1, symbol: 1, side: Side.BUY, price: 59_000, qty: 1, orderId: 999_999, clientOrderId: "boom" }));
    rt.flush();
    expect(rt.stopped).toBe(true);
    const stops = mem.records.filter((r) => r.msg === "engine stopped");
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatchObject({ level: "error", cause: "command threw", seq: 2, err: { type: "Error", message: "engine bug" } });
    await rt.settled();
    rt.close();
  });
});
