/**
 * Journals for the monitoring rules: a seeded "quiet" stretch of ordinary trading by the demo's
 * accounts (nine days of sparse orders at every hour, then a busy hour and a half), with ordinary
 * cash movements, and scripted triggers appended after it, each at a known seq.
 */
import * as path from "node:path";
import { seedCommands } from "../../app/config.ts";
import { LoadStream } from "../../cli/demo-load.ts";
import { ALL_SYMBOLS, Command, CommandType, makeCommand, OrderType, Side, StpMode, TimeInForce, type CommandInit } from "../../engine/commands.ts";
import { Exchange } from "../../engine/exchange.ts";
import type { AlertView } from "../../history/monitoring/alerts.ts";
import { SqliteHistoryStore } from "../../history/sqlite-store.ts";
import type { HistoryStore } from "../../history/store.ts";
import { HistoryWriter } from "../../history/writer.ts";
import { accounts, demoConfig, journal, tempDir } from "./journal-fixture.ts";

export const SECOND = 1_000_000;
export const HOUR = 3600 * SECOND;
export const DAY = 24 * HOUR;
/** Midnight UTC: hours of the day are easy to read off. */
export const T0 = Date.UTC(2026, 0, 5) * 1000;

/** sfc32-free and tiny: a seeded uniform [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s = (s ^ (s + Math.imul(s ^ (s >>> 7), 61))) >>> 0;
    return (s >>> 0) / 4294967296;
  };
}

/** A scenario being written: commands with their times, and the seq the next one gets. */
export class Script {
  readonly cmds: Command[] = [];
  time = T0;
  private nextOrderId = 1_000_000;

  get nextSeq(): number {
    return this.cmds.length + 1;
  }

  /** Appends one command at `time` (≥ the last); returns its seq. */
  add(init: CommandInit, time = this.time): number {
    const c = makeCommand(init);
    this.time = c.time = Math.max(time, this.time);
    this.cmds.push(c);
    return this.cmds.length;
  }

  /** A limit order that may trade with the account's own resting orders (the random load leaves some): a sweep goes through. */
  order(account: number, symbol: number, side: number, price: number, qty: number, time = this.time, tif: number = TimeInForce.GTC): number {
    const orderId = this.nextOrderId++;
    return this.add({ type: CommandType.NEW_ORDER, account, symbol, side, price, qty, orderId, clientOrderId: `S${orderId}`, orderType: OrderType.LIMIT, tif, stp: StpMode.NONE }, time);
  }
}

/**
 * The demo's seeding, a destination for every account, nine days of sparse random trading (every
 * hour of the day), a deposit and a later withdrawal per account (days apart), then a busy stretch:
 * `busy` commands about 0.1 s apart. Nothing in it is unusual.
 */
export function quietScript(seed = 11, sparse = 10_000, busy = 5_000): Script {
  const s = new Script();
  for (const c of seedCommands(demoConfig)) s.add(c);
  for (const account of accounts) s.add({ type: CommandType.ADD_DESTINATION, account, destination: `bank-${account}` });
  const load = new LoadStream(demoConfig.exchange, accounts, seed, 1);
  const r = rng(seed);
  const end = T0 + 9.3 * DAY;
  const gap = (end - T0) / sparse;
  for (let i = 0; i < sparse; i++) {
    const t = s.time + Math.floor(r() * 2 * gap);
    // Cash comes in on day 3 and part of it goes out on day 6: ordinary, days apart, to an old destination.
    const day = Math.floor((t - T0) / DAY);
    if (i % 500 === 0 && (day === 3 || day === 6)) {
      const account = accounts[(i / 500) % accounts.length]!;
      s.add(day === 3 ? { type: CommandType.DEPOSIT, account, currency: 1, amount: 50_000_000_000n } : { type: CommandType.WITHDRAW, account, currency: 1, amount: 20_000_000_000n, destination: `bank-${account}` }, t);
    }
    s.add(load.next(new Command()), t);
  }
  for (let i = 0; i < busy; i++) s.add(load.next(new Command()), s.time + Math.floor(r() * 0.2 * SECOND));
  return s;
}

/** Every account cancels its resting orders, a minute apart: the book is empty, so a trigger trades only with what the script puts there. */
export function clearBook(s: Script): void {
  for (const account of accounts) s.add({ type: CommandType.MASS_CANCEL, account, symbol: ALL_SYMBOLS }, s.time + 60 * SECOND);
  s.time += 60 * SECOND;
}

export interface Written {
  dir: string;
  store: SqliteHistoryStore;
  engine: Exchange;
}

/** Journals the script's commands and writes them to a fresh store; `config` overrides the demo's exchange config (tiers). */
export async function writeScript(dirs: string[], s: Script, stores: HistoryStore[], config = demoConfig.exchange): Promise<Written> {
  const dir = tempDir(dirs, "bourse-monitor-");
  const engine = new Exchange(config);
  journal(dir, s.cmds, engine);
  const store = new SqliteHistoryStore(path.join(dir, "history.db"));
  stores.push(store);
  const w = await HistoryWriter.open({ dataDir: dir, config, store }, s.cmds.length);
  await w.catchUp(s.cmds.length);
  w.close();
  return { dir, store, engine };
}

/** Every alert in the store, oldest first. */
export async function allAlerts(store: HistoryStore): Promise<AlertView[]> {
  const out: AlertView[] = [];
  let cursor: string | undefined;
  do {
    const p = await store.alerts({ cursor, limit: 1000 });
    out.push(...p.rows);
    cursor = p.next ?? undefined;
  } while (cursor);
  return out.reverse();
}

export { Side, TimeInForce };
