/**
 * Reconciliation of one day at size (docs/reconciliation.md): a journal of a day's load with N
 * executions, its history store written by the writer (SQLite), then
 *   baseline   a plain read of the same rows: every execution and cash row of the day's seq range,
 *              in the store's keyset pages, counted and dropped;
 *   reconcile  the whole run: the journal replayed and its rows re-derived, merge-joined with those
 *              same rows, and end-of-day balances.
 * Time and peak RSS of each (sampled every 20 ms while it runs: streamed, memory should not grow
 * with N). `--executions 1000000` for the size; `--json` for one line a script reads.
 */
import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Journal } from "../actors/journal/journal.ts";
import { COMMAND_SLOT_BYTES, encodeCommand } from "../actors/layout/schema.ts";
import { paths } from "../actors/recovery.ts";
import { loadConfig, seedCommands } from "../app/config.ts";
import { LoadStream } from "../cli/demo-load.ts";
import { ALL_SYMBOLS, Command, CommandType, makeCommand } from "../engine/commands.ts";
import { EVENT_WIDTH, EventBuffer, EventType } from "../engine/events.ts";
import { Exchange } from "../engine/exchange.ts";
import { SqliteHistoryStore } from "../history/sqlite-store.ts";
import { HistoryWriter } from "../history/writer.ts";
import { findDay } from "../reconcile/journal-day.ts";
import { utcDay } from "../reconcile/day.ts";
import { reconcile } from "../reconcile/reconcile.ts";
import { csvRecords } from "../reconcile/csv-records.ts";
import { makeInstrument } from "../engine/instrument.ts";
import { log, parseFlags } from "./kit/args.ts";
import { int, table } from "./kit/report.ts";

const USAGE = "usage: bun bench/reconcile.ts [--executions N (default 100000)] [--json]";
let executions = 100_000;
let json = false;
parseFlags(process.argv.slice(2), USAGE, { "--executions": (v) => (executions = v.num()), "--json": () => (json = true) }, { min: 1 });

const config = loadConfig(join(import.meta.dir, "../config/demo.json"));
const accounts = (config.accounts ?? []).map((a) => a.id);
const DAY = utcDay("2026-05-29");
/** The street account: none of the load's, so every execution row is a client's fill the venue shows. */
const STREET = 9_999;
const dir = mkdtempSync(join(tmpdir(), "bourse-bench-reconcile-"));

/** Peak RSS while `fn` runs, sampled. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; peakRss: number }> {
  Bun.gc(true);
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, ms: performance.now() - t0, peakRss: Math.max(peak, process.memoryUsage().rss) };
  } finally {
    clearInterval(timer);
  }
}

try {
  // The day: the seeding, ample cash and positions the hour before, then the load, 100 µs apart from 00:00:01,
  // until it has made N executions (an engine beside the journal counts them: two a trade).
  const t0 = performance.now();
  const dayBefore = DAY.start - 3_600_000_000;
  const journal = Journal.open({ dir: paths(dir).journal, fsync: false });
  const engine = new Exchange(config.exchange);
  const out = new EventBuffer();
  const bytes = new Uint8Array(COMMAND_SLOT_BYTES);
  const view = new DataView(bytes.buffer);
  let seq = 0;
  let made = 0;
  const append = (c: Command, time: number) => {
    c.time = time;
    encodeCommand(c, ++seq, view, 0);
    journal.append(seq, bytes);
    if (seq % 10_000 === 0) journal.commit();
    out.reset();
    engine.execute(c, out);
    for (let i = 0; i < out.count; i++) if (out.data[i * EVENT_WIDTH] === EventType.TRADE) made += 2;
  };
  for (const c of seedCommands(config)) append(c, dayBefore + seq);
  for (const account of accounts) for (const c of config.exchange.currencies) append(makeCommand({ type: CommandType.DEPOSIT, account, currency: c.id, amount: 10n ** BigInt(12 + c.scale) }), dayBefore + seq);
  for (const account of accounts) for (const inst of config.exchange.instruments) append(makeCommand({ type: CommandType.DEPOSIT_POSITION, account, symbol: inst.id, qty: 1e11, price: 1 }), dayBefore + seq);
  const load = new LoadStream(config.exchange, accounts, 1, seq + 1);
  const cmd = new Command();
  const limit = 40 * executions;
  for (let i = 0; made < executions; i++) {
    if (i > limit) throw new Error(`the load made only ${made} executions in ${i} commands`);
    const time = DAY.start + 1_000_000 + i * 100;
    // The load leaves orders resting: cleared now and then, or the accounts reach their open-order limit and trading stops.
    if (i % 20_000 === 19_999) for (const account of accounts) append(makeCommand({ type: CommandType.MASS_CANCEL, account, symbol: ALL_SYMBOLS }), time);
    append(load.next(cmd), time);
  }
  journal.commit();
  journal.close();
  const store = new SqliteHistoryStore(join(dir, "history.db"));
  const writer = await HistoryWriter.open({ dataDir: dir, config: config.exchange, store }, seq);
  await writer.catchUp(seq);
  writer.close();
  log(`built the day: ${int(seq)} commands, ${int(writer.rowsWritten)} rows, ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const day = findDay(dir, DAY);
  const baseline = await measured(async () => {
    let rows = 0;
    for await (const _ of store.streamExecutionsBySeq(day.firstSeq, day.lastSeq)) rows++;
    for await (const _ of store.streamCashBySeq(day.firstSeq, day.lastSeq)) rows++;
    return rows;
  });
  const run = await measured(() => reconcile({ dataDir: dir, config: config.exchange, store, day: DAY }));
  const r = run.value;
  if (r.breaks.length > 0) throw new Error(`the clean day reported ${r.breaks.length} breaks`);

  // The venue's drop copy of the day: every execution row as the venue records it (its ids, UTC+02:00, a second off our clock).
  const dropCopy = join(dir, "ACME-2026-05-29.csv");
  const t1 = performance.now();
  await writeDropCopy(store, dropCopy);
  log(`wrote the drop copy: ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  const csvRead = await measured(async () => {
    let rows = 0;
    for await (const line of createInterface({ input: createReadStream(dropCopy, { encoding: "utf8" }), crlfDelay: Infinity })) for (const _ of csvRecords(line)) rows++;
    return rows - 1;
  });
  const venue = { name: "ACME", account: STREET, feeBps: 2, symbols: config.exchange.instruments.map((i) => i.id), dropCopy };
  const withVenue = await measured(() => reconcile({ dataDir: dir, config: config.exchange, store, day: DAY, venues: [venue] }));
  await store.close();
  const rv = withVenue.value;
  if (rv.breaks.length > 0) throw new Error(`the clean day against its drop copy reported ${rv.breaks.length} breaks (${rv.breaks[0]!.text})`);
  const v = rv.compared.venues[0]!;
  const mb = (b: number) => (b / 2 ** 20).toFixed(0);
  if (json) {
    console.log(JSON.stringify({ bench: "reconcile", commands: seq, executions: r.compared.executions, cash: r.compared.cashMovements, baselineMs: Math.round(baseline.ms), baselinePeakRssMb: Number(mb(baseline.peakRss)), reconcileMs: Math.round(run.ms), reconcilePeakRssMb: Number(mb(run.peakRss)), breaks: r.breaks.length, dropCopyRows: v.theirs, csvReadMs: Math.round(csvRead.ms), csvReadPeakRssMb: Number(mb(csvRead.peakRss)), venueReconcileMs: Math.round(withVenue.ms), venueReconcilePeakRssMb: Number(mb(withVenue.peakRss)), venueBreaks: rv.breaks.length }));
  } else {
    console.log(`${r.day}: ${int(r.compared.executions)} executions, ${int(r.compared.cashMovements)} cash movements, ${r.compared.accounts} accounts`);
    console.log(
      table(
        ["pass", "rows", "time, s", "rows/s", "peak RSS, MB"],
        [
          ["plain read of the store's rows (baseline)", int(baseline.value), (baseline.ms / 1000).toFixed(2), int(baseline.value / (baseline.ms / 1000)), mb(baseline.peakRss)],
          ["reconcile (journal replay + merge + balances)", int(r.compared.executions + r.compared.cashMovements), (run.ms / 1000).toFixed(2), int((r.compared.executions + r.compared.cashMovements) / (run.ms / 1000)), mb(run.peakRss)],
          ["plain CSV read of the drop copy (venue baseline)", int(csvRead.value), (csvRead.ms / 1000).toFixed(2), int(csvRead.value / (csvRead.ms / 1000)), mb(csvRead.peakRss)],
          [`reconcile + venue (${int(v.ours)} fills vs ${int(v.theirs)})`, int(v.ours + v.theirs), (withVenue.ms / 1000).toFixed(2), int((v.ours + v.theirs) / (withVenue.ms / 1000)), mb(withVenue.peakRss)],
          ["  of which the venue comparison", int(v.ours + v.theirs), ((withVenue.ms - run.ms) / 1000).toFixed(2), int((v.ours + v.theirs) / ((withVenue.ms - run.ms) / 1000)), ""],
        ],
      ),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Every execution row of the day as the venue's CSV, written as it is read. */
async function writeDropCopy(store: SqliteHistoryStore, file: string): Promise<void> {
  const instruments = new Map(config.exchange.instruments.map((s) => [s.id, makeInstrument(s)]));
  const w = Bun.file(file).writer();
  w.write("exec_id,venue_order_id,cl_ord_id,symbol,side,last_qty,last_px,commission,transact_time\n");
  let i = 0;
  for (const r of store.db.query("SELECT time, symbol, order_id, side, price, qty FROM executions WHERE time >= ? AND time < ? ORDER BY seq, idx, liquidity").iterate(DAY.start, DAY.end) as IterableIterator<Record<string, number>>) {
    const inst = instruments.get(Number(r.symbol))!;
    const qty = inst.lot.mul(Number(r.qty));
    const px = inst.tick.mul(Number(r.price));
    const us = Number(r.time) + 1_000_000;
    const local = new Date(Math.floor(us / 1000) + 7_200_000).toISOString().slice(0, 23);
    w.write(`X${++i},V${r.order_id},${r.order_id},${inst.symbol},${Number(r.side) === 0 ? "buy" : "sell"},${qty.toFixed()},${px.toFixed()},${qty.mul(px).mul(2).div(10_000).toFixed()},${local}+02:00\n`);
    if (i % 10_000 === 0) await w.flush();
  }
  await w.end();
}
