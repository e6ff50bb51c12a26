import { describe, expect, test } from "bun:test";
import { seedCommands } from "../../app/config.ts";
import { Journal } from "../../actors/journal/journal.ts";
import { LoadStream } from "../../cli/demo-load.ts";
import { paths, recover, stateHash } from "../../actors/recovery.ts";
import { EngineStoppedError, InvalidCommandError, Runtime } from "../../actors/runtime.ts";
import { startEngineHost } from "../../actors/engine-host.ts";
import { WorkerHost } from "../../actors/worker-host.ts";
import { Command, CommandType, makeCommand } from "../../engine/commands.ts";
import { EventType, F } from "../../engine/events.ts";
import { demoConfig, hostsPerTest } from "./temp-dirs.ts";

const config = demoConfig;
const { dataDir, workers: hosts } = hostsPerTest("bourse-wh-");

async function start(dir: string, extra: Partial<Parameters<typeof WorkerHost.start>[0]> = {}): Promise<WorkerHost> {
  const h = await WorkerHost.start({ config: config.exchange, dataDir: dir, ...extra });
  hosts.push(h);
  return h;
}

/** Submits `n` load commands (tokens 1..n) and resolves once all are delivered. */
function runLoad(h: WorkerHost, n: number, seed = 3): Promise<{ seq: number; token: number }[]> {
  const got: { seq: number; token: number }[] = [];
  return new Promise((resolve) => {
    const off = h.onDelivery((seq, token) => {
      if (token === 0) return; // the seed commands submitted before
      got.push({ seq, token });
      if (got.length === n) {
        off();
        resolve(got);
      }
    });
    const load = new LoadStream(config.exchange, [1, 2, 3, 4], seed, h.lastSeq + 1000);
    const cmd = new Command();
    for (let i = 1; i <= n; i++) h.submit(load.next(cmd), i);
  });
}

describe("engine in a worker (workers: 1)", () => {
  test("every command is delivered once, in order, with its token, and only once it is in the journal", async () => {
    const dir = dataDir();
    const h = await start(dir);
    for (const c of seedCommands(config)) h.submit(c);
    let durableChecks = 0;
    const off = h.onDelivery((seq) => {
      if (seq % 97 !== 0) return;
      // Another reader of the journal must already see the delivered command.
      const j = Journal.open({ dir: paths(dir).journal, readOnly: true });
      expect(j.lastSeq, `seq ${seq} delivered before it was journaled`).toBeGreaterThanOrEqual(seq);
      j.close();
      durableChecks++;
    });
    const got = await runLoad(h, 3000);
    off();
    expect(got.map((g) => g.token)).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    for (let i = 1; i < got.length; i++) expect(got[i]!.seq).toBe(got[i - 1]!.seq + 1);
    expect(durableChecks).toBeGreaterThan(10);
  }, 30_000);

  test("a full command ring applies backpressure and loses nothing", async () => {
    const h = await start(dataDir(), { commandSlots: 16, eventSlots: 64 });
    for (const c of seedCommands(config)) h.submit(c);
    const got = await runLoad(h, 2000);
    expect(got.map((g) => g.token)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
  }, 30_000);

  test("after close, the same directory recovers to the same state, in a worker or embedded", async () => {
    const dir = dataDir();
    const h = await start(dir, { snapshotEvery: 500 });
    for (const c of seedCommands(config)) h.submit(c);
    await runLoad(h, 1500);
    const last = await h.close();
    const embedded = Runtime.start({ config: config.exchange, dataDir: dir });
    expect(embedded.lastSeq).toBe(last);
    const hash = stateHash(embedded.exchange);
    embedded.close();
    expect(stateHash(recover({ dataDir: dir, config: config.exchange, readOnly: true, ignoreSnapshots: true }).exchange)).toBe(hash);
    const again = await start(dir);
    expect(again.lastSeq).toBe(last);
  }, 30_000);

  test("events reach the main thread intact", async () => {
    const h = await start(dataDir());
    for (const c of seedCommands(config)) h.submit(c);
    const types: number[] = [];
    const done = new Promise<void>((resolve) =>
      h.onDelivery((_seq, token, events, from, to) => {
        if (token !== 42) return;
        for (let i = from; i < to; i++) types.push(events.get(i, F.TYPE));
        resolve();
      }),
    );
    h.submit(makeCommand({ type: CommandType.NEW_ORDER, orderId: 9_999_999, account: 1, symbol: 1, side: 0, price: 59_000, qty: 3, clientOrderId: "w1" }), 42);
    await done;
    expect(types).toEqual([EventType.ORDER_STATE, EventType.ACCEPTED, EventType.ORDER_STATE, EventType.LEVEL]);
  }, 30_000);

  test("a command no layout can carry is refused at submit; a worker that dies stops the host", async () => {
    const h = await start(dataDir());
    expect(() => h.submit(makeCommand({ type: CommandType.NEW_ORDER, orderId: 1, account: 1, symbol: 1, price: 1, qty: 0.5 }))).toThrow(InvalidCommandError);
    (h as unknown as { worker: Worker }).worker.terminate();
    for (let i = 0; i < 200 && !h.stopped; i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.stopped).toBe(true);
    expect(() => h.submit(makeCommand({ type: CommandType.TICK }))).toThrow(EngineStoppedError);
  }, 30_000);

  test("startEngineHost picks the host by worker count and refuses more than one", async () => {
    const dir = dataDir();
    const embedded = await startEngineHost({ config: config.exchange, dataDir: dir, workers: 0 });
    expect(embedded.host).toBeInstanceOf(Runtime);
    expect(embedded.runtime).toBe(embedded.host as Runtime);
    await embedded.host.shutdown();
    const worker = await startEngineHost({ config: config.exchange, dataDir: dir, workers: 1 });
    expect(worker.host).toBeInstanceOf(WorkerHost);
    expect(worker.runtime).toBeNull();
    expect(worker.recovered.books.length).toBe(config.exchange.instruments.length);
    await worker.host.shutdown();
    await expect(startEngineHost({ config: config.exchange, dataDir: dir, workers: 2 })).rejects.toThrow(/workers must be 0 or 1/);
  });
});
