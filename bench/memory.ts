/**
 * Resident memory and snapshot size against orders with client order ids (issue 12: "Memory
 * bounded under a day of traffic"). Every such order is remembered by the idempotency window for
 * `idempotencyWindowUs` of engine time after submission, so memory is a function of open orders
 * plus the ids in the window; this bench shows that function.
 *
 * Through `Exchange.execute` directly (the engine alone: no journal, no sockets), N IOC limit
 * orders with client order ids, round-robin over 100 accounts, at `--rate` orders per second of
 * engine time, none of which trades (each is done — cancelled — at once, so the window holds only
 * done orders and the book stays empty). Every `--every` orders it prints RSS after a full GC, the
 * window's own typed arrays, and the exchange snapshot's size (what the snapshotter writes and the
 * state hash reads). With `--window-s` shorter than the run (N / rate seconds) the window fills
 * and every figure should go flat.
 *
 *   npm run bench:memory                                   # 2M orders, 24 h window (never full)
 *   npm run bench:memory -- --window-s 50                  # a 500k-id window that fills and stays full
 *   npm run bench:memory -- --orders 500000 --id-length 36 # UUID-sized ids
 *   npm run bench:memory -- --door ws --window-s 5         # the whole server (bench/memory-door.ts)
 *   flags: --orders N (2,000,000; 200,000 with --door) --every N (100,000; 40,000) --rate R
 *          (10,000/s) --window-s S (86,400) --id-length L (16, 8..36) --no-snapshot --json
 */
import { CommandType, makeCommand, OrderType, Side, TimeInForce } from "../engine/commands.ts";
import { EventBuffer } from "../engine/events.ts";
import { Exchange, type ExchangeConfig } from "../engine/exchange.ts";
import { writeExchangeSnapshot } from "../engine/exchange-snapshot.ts";

const args = process.argv.slice(2);
function flag(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`--${name} needs a positive number, got ${args[i + 1] ?? "nothing"}`);
    process.exit(2);
  }
  return v;
}
const ORDERS = flag("orders", 2_000_000);
const EVERY = flag("every", 100_000);
const RATE = flag("rate", 10_000);
const WINDOW_S = flag("window-s", 86_400);
const ID_LENGTH = Math.min(36, Math.max(8, flag("id-length", 16)));
const SNAPSHOT = !args.includes("--no-snapshot");
const JSON_OUT = args.includes("--json");
const ACCOUNTS = 100;

const door = args.indexOf("--door");
if (door >= 0) {
  if (args[door + 1] !== "ws") {
    console.error(`--door takes ws, got ${args[door + 1] ?? "nothing"}`);
    process.exit(2);
  }
  const { runDoorBench } = await import("./memory-door.ts");
  await runDoorBench({ orders: flag("orders", 200_000), every: flag("every", 40_000), windowS: WINDOW_S, idLength: ID_LENGTH, json: JSON_OUT });
  process.exit(0);
}

const config: ExchangeConfig = {
  currencies: [{ id: 1, code: "USD", scale: 2 }],
  instruments: [{ id: 1, symbol: "BTC-USD", tickSize: "0.01", lotSize: "1", bandBps: 500, referencePrice: 100_000, base: "BTC", quote: "USD" }],
  tiers: [{ id: 1, makerBps: 1, takerBps: 5 }],
  feeAccount: 1_000,
  idempotencyWindowUs: WINDOW_S * 1e6,
};

const ex = new Exchange(config);
const out = new EventBuffer();
const T0 = 1_700_000_000_000_000;
ex.execute(makeCommand({ type: CommandType.OPEN_ACCOUNT, time: T0, account: config.feeAccount, tier: 1 }), out);
for (let a = 1; a <= ACCOUNTS; a++) {
  out.reset();
  ex.execute(makeCommand({ type: CommandType.OPEN_ACCOUNT, time: T0, account: a, tier: 1 }), out);
  out.reset();
  ex.execute(makeCommand({ type: CommandType.DEPOSIT, time: T0, account: a, currency: 1, amount: 10n ** 15n }), out);
}

/** Distinct ids of exactly ID_LENGTH characters: a prefix padded to length, then the counter in base 36. */
function clientId(i: number): string {
  const n = i.toString(36);
  return "c".padEnd(ID_LENGTH - n.length, "-") + n;
}

function rssMb(): number {
  Bun.gc(true);
  return process.memoryUsage().rss / 1e6;
}

interface Row {
  orders: number;
  remembered: number;
  rssMb: number;
  heapMb: number;
  windowBytesPerId: number;
  rssBytesPerId: number;
  snapshotMb: number;
  snapshotBytesPerId: number;
  msPer100k: number;
}

const base = rssMb();
const cmd = makeCommand({ type: CommandType.NEW_ORDER, account: 1, symbol: 1, side: Side.BUY, orderType: OrderType.LIMIT, tif: TimeInForce.IOC, price: 99_000, qty: 1 });
const rows: Row[] = [];
if (!JSON_OUT) {
  console.log(`${ORDERS.toLocaleString()} IOC orders with ${ID_LENGTH}-char client order ids, ${RATE.toLocaleString()}/s of engine time, window ${WINDOW_S.toLocaleString()} s (${Math.min(ORDERS, RATE * WINDOW_S).toLocaleString()} ids when full); RSS after setup ${base.toFixed(0)} MB`);
  console.log("   orders  remembered   RSS MB  heap MB  window B/id  RSS Δ B/id  snapshot MB  snap B/id  ms/100k");
}
let t = performance.now();
for (let i = 1; i <= ORDERS; i++) {
  cmd.type = CommandType.NEW_ORDER;
  cmd.time = T0 + Math.floor((i * 1e6) / RATE);
  cmd.orderId = i;
  cmd.account = 1 + (i % ACCOUNTS);
  cmd.clientOrderId = clientId(i);
  out.reset();
  ex.execute(cmd, out);
  if (i % EVERY !== 0 && i !== ORDERS) continue;
  const ms = performance.now() - t;
  const remembered = ex.idempotency.size;
  const rss = rssMb();
  const heap = process.memoryUsage().heapUsed / 1e6;
  const snapshot = SNAPSHOT ? writeExchangeSnapshot(ex).length : 0;
  const row: Row = {
    orders: i,
    remembered,
    rssMb: rss,
    heapMb: heap,
    windowBytesPerId: ex.idempotency.footprint / Math.max(1, remembered),
    rssBytesPerId: ((rss - base) * 1e6) / Math.max(1, remembered),
    snapshotMb: snapshot / 1e6,
    snapshotBytesPerId: snapshot / Math.max(1, remembered),
    msPer100k: (ms * 100_000) / EVERY,
  };
  rows.push(row);
  if (!JSON_OUT) {
    console.log(
      `${String(i).padStart(9)} ${String(remembered).padStart(11)} ${row.rssMb.toFixed(0).padStart(8)} ${row.heapMb.toFixed(0).padStart(8)} ${row.windowBytesPerId.toFixed(0).padStart(12)} ${row.rssBytesPerId.toFixed(0).padStart(11)} ${SNAPSHOT ? row.snapshotMb.toFixed(1).padStart(12) : "           -"} ${SNAPSHOT ? row.snapshotBytesPerId.toFixed(0).padStart(10) : "         -"} ${row.msPer100k.toFixed(0).padStart(8)}`,
    );
  }
  t = performance.now();
}
if (JSON_OUT) console.log(JSON.stringify({ orders: ORDERS, rate: RATE, windowS: WINDOW_S, idLength: ID_LENGTH, baseRssMb: base, rows }));
