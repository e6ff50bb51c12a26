import { afterEach, describe, expect, test } from "bun:test";
import { heapStats } from "bun:jsc";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, seedCommands } from "../../app/config.ts";
import { LoadStream } from "../../cli/demo-load.ts";
import { paths, recover, stateHash } from "../../actors/recovery.ts";
import { Journal } from "../../actors/journal/journal.ts";
import { EngineStoppedError, InvalidCommandError, Runtime } from "../../actors/runtime.ts";
import { COMMAND_SLOT_BYTES, CommandOffset, encodeCommand } from "../../actors/layout/schema.ts";
import { CommandLayoutError } from "../../actors/layout/command-layout.ts";
import { recordBytes } from "../../actors/layout/command-record.ts";
import { Reason } from "../../engine/reasons.ts";
import { listSnapshots, loadNewestSnapshot } from "../../actors/snapshot/snapshot-store.ts";
import { Command, CommandType, makeCommand, OrderType, Side, TimeInForce } from "../../engine/commands.ts";
import { Accepted, EventType } from "../../engine/events.ts";
import { readDeliveries } from "../../actors/delivered-events.ts";

const config = loadConfig(join(import.meta.dir, "../../config/demo.json"));
const dirs: string[] = [];
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), "bourse-rt-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function seeded(dir: string, extra: Partial<Parameters<typeof Runtime.start>[0]> = {}): Runtime {
  const rt = Runtime.start({ config: config.exchange, dataDir: dir, ...extra });
  for (const c of seedCommands(config)) rt.submit(c);
  rt.flush();
  return rt;
}

/** Resolves once every batch written so far has been synced and delivered (delivery is asynchronous with fsync on). */
async function drained(rt: Runtime): Promise<void> {
  for (let i = 0; i < 2000 && (rt.pendingBatches > 0 || rt.durableSeq < rt.lastSeq); i++) await new Promise((r) => setTimeout(r, 2));
  expect(rt.pendingBatches).toBe(0);
}

function runLoad(rt: Runtime, n: number, seed = 7): void {
  const load = new LoadStream(config.exchange, [1, 2, 3, 4], seed, rt.lastSeq + 1);
  const cmd = new Command();
  for (let i = 0; i < n; i++) {
    rt.submit(load.next(cmd));
    if (i % 100 === 99) rt.flush();
  }
  rt.flush();
}

describe("runtime", () => {
  test("events are delivered only once the journal covers their command", async () => {
    const rt = seeded(dataDir());
    await drained(rt);
    const seen: [number, number][] = [];
    rt.onDelivery((seq) => seen.push([seq, rt.durableSeq]));
    runLoad(rt, 500);
    await drained(rt);
    expect(seen.length).toBe(500);
    for (const [seq, durable] of seen) expect(durable, `seq ${seq} delivered before durable`).toBeGreaterThanOrEqual(seq);
    rt.close();
  });

  test("commands submitted in one turn are executed and delivered after it, in submission order", async () => {
    const rt = seeded(dataDir());
    await drained(rt);
    const order: number[] = [];
    rt.onDelivery((seq, token) => order.push(token) && void seq);
    const before = rt.lastSeq;
    for (let t = 1; t <= 50; t++) rt.submit(makeCommand({ type: CommandType.TICK }), t);
    await new Promise((r) => setImmediate(r));
    // Executed and written after the turn, as one batch; delivered once its sync completes.
    expect(rt.lastSeq).toBe(before + 50);
    await drained(rt);
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    rt.close();
  });

  test("a restart recovers exactly the state it left, from snapshot and journal", async () => {
    const dir = dataDir();
    const rt = seeded(dir, { snapshotEvery: 300 });
    runLoad(rt, 1000);
    const hash = stateHash(rt.exchange);
    const seq = rt.lastSeq;
    // The snapshotter replica writes them as the journal becomes durable; close() would stop it where it is.
    await rt.settled();
    rt.close();
    expect(listSnapshots(paths(dir).snapshots).length).toBeGreaterThan(0);
    const again = Runtime.start({ config: config.exchange, dataDir: dir });
    expect(again.lastSeq).toBe(seq);
    expect(stateHash(again.exchange)).toBe(hash);
    again.close();
  });

  test("state hashes are logged every N commands and match a replay", async () => {
    const dir = dataDir();
    const rt = seeded(dir, { hashEvery: 200 });
    runLoad(rt, 900);
    await rt.settled();
    rt.close();
    const lines = readFileSync(paths(dir).hashes, "utf8").trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) {
      const [seq, , hash] = line.split(" ");
      const r = recover({ dataDir: dir, config: config.exchange, untilSeq: Number(seq), ignoreSnapshots: true });
      expect(stateHash(r.exchange), `hash at seq ${seq}`).toBe(hash!);
    }
  });

  test("recover --until a sequence number stops exactly there", () => {
    const dir = dataDir();
    const rt = seeded(dir);
    runLoad(rt, 300);
    rt.close();
    const r = recover({ dataDir: dir, config: config.exchange, untilSeq: 150 });
    expect(r.seq).toBe(150);
    expect(r.journal).toBeNull();
  });

  test("an engine failure stops the runtime; the failing command is not journaled; restart recovers", async () => {
    const dir = dataDir();
    const rt = seeded(dir);
    runLoad(rt, 200);
    await drained(rt);
    const before = rt.lastSeq;
    const hash = stateHash(rt.exchange);
    // Simulate an engine bug on one particular command.
    const original = rt.exchange.execute.bind(rt.exchange);
    rt.exchange.execute = (cmd, out) => {
      if (cmd.type === CommandType.NEW_ORDER && cmd.clientOrderId === "boom") throw new Error("engine bug");
      original(cmd, out);
    };
    const delivered: number[] = [];
    rt.onDelivery((seq) => delivered.push(seq));
    rt.submit(makeCommand({ type: CommandType.TICK }));
    rt.submit(makeCommand({ type: CommandType.NEW_ORDER, account: 1, symbol: 1, side: Side.BUY, price: 59_000, qty: 1, orderId: 999_999, clientOrderId: "boom" }));
    rt.submit(makeCommand({ type: CommandType.TICK }));
    rt.flush();
    expect(rt.stopped).toBe(true);
    await drained(rt);
    expect(delivered).toEqual([before + 1]);
    expect(() => rt.submit(makeCommand({ type: CommandType.TICK }))).toThrow(EngineStoppedError);
    rt.close();

    const again = Runtime.start({ config: config.exchange, dataDir: dir });
    expect(again.lastSeq).toBe(before + 1);
    expect(again.exchange.byClientId(1, "boom")).toBeUndefined();
    // The tick changed nothing, so the state is what it was before the failure.
    expect(stateHash(again.exchange)).toBe(hash);
    again.close();
  });

  test("a corrupt newest snapshot is skipped for the one before it", () => {
    const dir = dataDir();
    const rt = seeded(dir, { snapshotEvery: 0 });
    runLoad(rt, 200);
    rt.snapshot();
    const first = rt.lastSeq;
    runLoad(rt, 200, 8);
    const newest = rt.snapshot();
    const hash = stateHash(rt.exchange);
    rt.close();
    const bytes = readFileSync(newest);
    bytes[bytes.length - 5]! ^= 0xff;
    writeFileSync(newest, bytes);
    const skipped: string[] = [];
    expect(loadNewestSnapshot(paths(dir).snapshots, Infinity, (f) => skipped.push(f))?.seq).toBe(first);
    expect(skipped).toEqual([newest]);
    const r = recover({ dataDir: dir, config: config.exchange });
    expect(r.snapshotSeq).toBe(first);
    expect(stateHash(r.exchange)).toBe(hash);
    r.journal?.close();
  });

  test("acknowledged events carry the command's results", async () => {
    const rt = seeded(dataDir());
    let accepted = 0;
    rt.onDelivery(
      readDeliveries((r) => {
        while (r.next()) if (r.type === EventType.ACCEPTED) accepted++;
      }),
    );
    rt.submit(makeCommand({ type: CommandType.NEW_ORDER, orderId: 77, account: 4, symbol: 1, side: Side.BUY, price: 59_000, qty: 1, clientOrderId: "x1" }));
    rt.flush();
    await drained(rt);
    expect(accepted).toBe(1);
    rt.close();
  });
});

describe("runtime input checks", () => {
  test("a command no layout can carry is refused at submit with a reason, and nothing is sequenced", () => {
    const rt = seeded(dataDir());
    const before = rt.lastSeq;
    let thrown: unknown;
    try {
      rt.submit(makeCommand({ type: CommandType.NEW_ORDER, orderId: 5, account: 1, symbol: 1, side: Side.BUY, price: 59_000, qty: 1.5 }));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InvalidCommandError);
    expect((thrown as InvalidCommandError).reason).toBe(Reason.INVALID_QUANTITY);
    // Typed, not matched by its text: the layout names the field, and the refusal keeps it as its cause.
    expect((thrown as InvalidCommandError).name).toBe("InvalidCommandError");
    const cause = (thrown as InvalidCommandError).cause;
    expect(cause).toBeInstanceOf(CommandLayoutError);
    expect((cause as CommandLayoutError).field).toBe("qty");
    expect(() => rt.submit(makeCommand({ type: CommandType.NEW_ORDER, orderId: 6, account: 1, symbol: 1, side: Side.BUY, price: 59_000, qty: 1, clientOrderId: "x".repeat(37) }))).toThrow(InvalidCommandError);
    rt.flush();
    expect(rt.stopped).toBe(false);
    expect(rt.lastSeq).toBe(before);
    rt.close();
  });
});

describe("what the journal holds", () => {
  test("each command as it was submitted, encoded once at submit: only seq, time and an assigned order id are stamped in", async () => {
    const dir = dataDir();
    const rt = seeded(dir);
    await drained(rt);
    const first = rt.lastSeq + 1;
    const sent: Command[] = [];
    const times = new Map<number, number>();
    rt.onDelivery((seq, _t, _e, _f, _to, time) => times.set(seq, time));
    const submit = (c: Command) => {
      rt.submit(c);
      sent.push(makeCommand({ ...c }));
      // The caller may reuse its object at once: the queued copy and the staged bytes are the runtime's own.
      c.reset();
    };
    // A market buy: risk writes its cap into the Command's price while executing; the journal keeps price 0.
    submit(makeCommand({ type: CommandType.NEW_ORDER, account: 1, symbol: 1, side: Side.BUY, orderType: OrderType.MARKET, tif: TimeInForce.IOC, qty: 1, clientOrderId: "mkt-1" }));
    // No order id: the sequencer assigns its seq.
    submit(makeCommand({ type: CommandType.NEW_ORDER, account: 2, symbol: 1, side: Side.SELL, price: 61_000, qty: 2, clientOrderId: "lim-1" }));
    expect(() => rt.submit(makeCommand({ type: CommandType.NEW_ORDER, account: 1, symbol: 1, side: Side.BUY, price: 59_000, qty: 0.5 }))).toThrow(InvalidCommandError);
    submit(makeCommand({ type: CommandType.CANCEL, account: 2, symbol: 1, orderId: first + 1 }));
    submit(makeCommand({ type: CommandType.DEPOSIT, account: 3, currency: 1, amount: 123_456_789_012_345_678_901_234_567n, destination: "bank-ref-9" }));
    submit(makeCommand({ type: CommandType.TICK }));
    rt.flush();
    // A second batch staged and written after the first.
    for (let k = 0; k < 300; k++) submit(makeCommand({ type: CommandType.NEW_ORDER, account: 1 + (k % 4), symbol: 1, side: k & 1, price: k & 1 ? 60_500 + k : 59_500 - k, qty: 1, clientOrderId: `b2-${k}` }));
    rt.flush();
    await drained(rt);
    const last = rt.lastSeq;
    expect(last - first + 1).toBe(sent.length);
    const reader = Journal.open({ dir: paths(dir).journal, readOnly: true });
    const want = new DataView(new ArrayBuffer(COMMAND_SLOT_BYTES));
    let n = 0;
    for (const r of reader.read(first, last)) {
      const c = sent[r.seq - first]!;
      c.time = times.get(r.seq)!;
      if (c.type === CommandType.NEW_ORDER && c.orderId === 0) c.orderId = r.seq;
      encodeCommand(c, r.seq, want, 0);
      // The record is the slot up to its last string (command-record.ts); the rest of the slot is zero.
      const full = new Uint8Array(want.buffer);
      expect(r.payload.length, `seq ${r.seq}: record length`).toBe(recordBytes(want, 0));
      expect(r.payload.length, `seq ${r.seq}: shorter than a slot`).toBeLessThan(COMMAND_SLOT_BYTES);
      expect([...r.payload], `seq ${r.seq}`).toEqual([...full.subarray(0, r.payload.length)]);
      expect(full.subarray(r.payload.length).every((b) => b === 0), `seq ${r.seq}: what the record leaves out is zero`).toBe(true);
      n++;
    }
    reader.close();
    expect(n).toBe(sent.length);
    expect(new DataView(new Uint8Array([...readOne(dir, first)]).buffer).getFloat64(CommandOffset.PRICE, true), "the market buy is journaled without its cap").toBe(0);
    const hash = stateHash(rt.exchange);
    rt.close();
    expect(stateHash(recover({ dataDir: dir, config: config.exchange, ignoreSnapshots: true, readOnly: true }).exchange), "a replay reaches the same state").toBe(hash);
  });
});

describe("the sequencer's own cost", () => {
  test("submit, flush and delivery allocate nothing per command once warm (fsync off)", () => {
    const rt = seeded(dataDir(), { fsync: false, autoFlush: false, snapshotEvery: 0, hashEvery: 0 });
    let delivered = 0;
    rt.onDelivery(() => {
      delivered++;
    });
    const tick = makeCommand({ type: CommandType.TICK });
    const batches = (n: number) => {
      for (let b = 0; b < n; b++) {
        for (let k = 0; k < 256; k++) rt.submit(tick, k);
        rt.flush();
      }
    };
    batches(400);
    Bun.gc(true);
    const capacity0 = heapStats().heapCapacity;
    const used0 = process.memoryUsage().heapUsed;
    batches(2000);
    const capacity = heapStats().heapCapacity - capacity0;
    Bun.gc(true);
    const used = process.memoryUsage().heapUsed - used0;
    expect(delivered).toBe(2400 * 256);
    // 512,000 commands: one 16-byte object each would be 8 MiB.
    expect(capacity, "heap capacity growth").toBeLessThan(1 << 20);
    expect(used, "heap growth").toBeLessThan(1 << 20);
    rt.close();
  });
});

function readOne(dir: string, seq: number): Uint8Array {
  const j = Journal.open({ dir: paths(dir).journal, readOnly: true });
  try {
    for (const r of j.read(seq, seq)) return r.payload.slice();
    throw new Error(`seq ${seq} not in the journal`);
  } finally {
    j.close();
  }
}

describe("order ids", () => {
  test("a new order without an id gets its sequence number, journaled so replay agrees", async () => {
    const dir = dataDir();
    const rt = seeded(dir);
    const acks: number[] = [];
    rt.onDelivery(
      readDeliveries((r) => {
        while (r.next()) if (r.type === EventType.ACCEPTED) acks.push(Accepted.orderId(r.data, r.at), r.seq);
      }),
    );
    rt.submit(makeCommand({ type: CommandType.NEW_ORDER, account: 1, symbol: 1, side: Side.BUY, price: 59_000, qty: 1, clientOrderId: "id-from-seq" }));
    rt.flush();
    await drained(rt);
    expect(acks.length).toBe(2);
    expect(acks[0]).toBe(acks[1]!);
    const hash = stateHash(rt.exchange);
    rt.close();
    expect(stateHash(recover({ dataDir: dir, config: config.exchange, ignoreSnapshots: true, readOnly: true }).exchange)).toBe(hash);
  });
});

describe("submits from a delivery listener", () => {
  test("a command submitted while the previous batch is being delivered is not lost", async () => {
    const rt = seeded(dataDir());
    await drained(rt);
    const got: number[] = [];
    rt.onDelivery((_s, token) => {
      got.push(token);
      if (token === 1) rt.submit(makeCommand({ type: CommandType.TICK }), 2);
    });
    rt.submit(makeCommand({ type: CommandType.TICK }), 1);
    for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual([1, 2]);
    rt.close();
  });
});
