import { SnapshotCorruptError } from "./errors.ts";
import { Account, Cash, Position } from "./accounts.ts";
import { Exchange, type ExchangeConfig } from "./exchange.ts";
import { Identity, type IdentityRecord } from "./identity.ts";
import { readWindow, type WindowColumns } from "./idempotency-snapshot.ts";
import { OmsOrder } from "./orders.ts";
import { Routing, type RoutingRecord } from "./routing.ts";
import { readSnapshot, writeSnapshot } from "./snapshot.ts";
import { writeWindowJson } from "./window-json.ts";

/**
 * The whole exchange as bytes: the book's binary snapshot followed by the account side as
 * canonical JSON (sorted ids, fixed key order, BigInts as decimal strings). The account side is
 * not a hot path, so readable JSON is worth more than a few bytes; the layout stays canonical, so
 * the same state always gives the same bytes and a state hash can compare a replica.
 *
 *   u32 bookLength | book snapshot | UTF-8 JSON of AccountSideState
 */
interface OrderRecord {
  orderId: number;
  account: number;
  symbol: number;
  side: number;
  orderType: number;
  tif: number;
  clientOrderId: string;
  submitTime: number;
  makerBps: number;
  takerBps: number;
  state: number;
  price: number;
  qty: number;
  leaves: number;
  filled: number;
  cancelled: number;
  reserved: string;
  filledNotional: string;
  fees: string;
  riskCap: boolean;
}

interface AccountRecord {
  id: number;
  tier: number;
  cash: [number, string, string][];
  positions: [number, number, string, string, number, number][];
  allowed: number[] | null;
  denied: number[];
  shortLimits: [number, number][];
  destinations: [string, number][];
  openOrders: number;
  rateTimes: number[];
  rateNext: number;
  /** Withdrawals awaiting approval [id, currency, amount, destination, time] and the next id; absent when none ever waited. */
  pending?: [number, number, string, string, number][];
  nextWithdrawal?: number;
}

export interface AccountSideState {
  version: 1 | 2;
  config: ExchangeConfig;
  /** [id, lastPrice, markOverride] and, only while the venue's data is flagged, its MarketDataStatus: a never-flagged market writes the bytes it always did. */
  markets: ([number, number, number] | [number, number, number, number])[];
  accounts: AccountRecord[];
  open: OrderRecord[];
  /** Users and API keys (engine/identity.ts); absent in snapshots written before they existed. */
  identity?: IdentityRecord;
  /** Routed orders and venue links (engine/routing.ts); absent when nothing was ever routed. */
  routing?: RoutingRecord;
  /**
   * Version 2: the idempotency window's entries as columns (WindowColumns). Version 1 (still
   * read): entries in submission order, an open order by id, a done one as a full order record.
   */
  idempotency: WindowColumns | (number | OrderRecord)[];
}

function orderRecord(o: OmsOrder): OrderRecord {
  return {
    orderId: o.orderId,
    account: o.account,
    symbol: o.symbol,
    side: o.side,
    orderType: o.orderType,
    tif: o.tif,
    clientOrderId: o.clientOrderId,
    submitTime: o.submitTime,
    makerBps: o.makerBps,
    takerBps: o.takerBps,
    state: o.state,
    price: o.price,
    qty: o.qty,
    leaves: o.leaves,
    filled: o.filled,
    cancelled: o.cancelled,
    reserved: o.reserved.toString(),
    filledNotional: o.filledNotional.toString(),
    fees: o.fees.toString(),
    riskCap: o.riskCap,
  };
}

function fromRecord(r: OrderRecord): OmsOrder {
  const o = new OmsOrder(r.orderId, r.account, r.symbol, r.side, r.orderType, r.tif, r.clientOrderId, r.submitTime, r.makerBps, r.takerBps);
  o.state = r.state;
  o.price = r.price;
  o.qty = r.qty;
  o.leaves = r.leaves;
  o.filled = r.filled;
  o.cancelled = r.cancelled;
  o.reserved = BigInt(r.reserved);
  o.filledNotional = BigInt(r.filledNotional);
  o.fees = BigInt(r.fees);
  o.riskCap = r.riskCap;
  return o;
}

const byKey = <T>(entries: Iterable<[number, T]>) => [...entries].sort((a, b) => a[0] - b[0]);

export function writeExchangeSnapshot(ex: Exchange): Uint8Array {
  const ledger = ex.ledger;
  const state: AccountSideHead = {
    version: 2,
    config: ex.config,
    markets: byKey(ledger.markets).map(([id, m]) => (m.dataStatus !== 0 ? [id, m.lastPrice, m.markOverride, m.dataStatus] : [id, m.lastPrice, m.markOverride])),
    accounts: byKey(ledger.accounts).map(([, a]) => ({
      id: a.id,
      tier: a.tier,
      cash: byKey(a.cash).map(([c, v]) => [c, v.balance.toString(), v.reserved.toString()]),
      positions: byKey(a.positions).map(([s, p]) => [s, p.qty, p.cost.toString(), p.realized.toString(), p.openBuys, p.openSells]),
      allowed: a.allowed ? [...a.allowed].sort((x, y) => x - y) : null,
      denied: [...a.denied].sort((x, y) => x - y),
      shortLimits: byKey(a.shortLimits),
      destinations: [...a.destinations].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)),
      openOrders: a.openOrders,
      rateTimes: [...a.rateTimes],
      rateNext: a.rateNext,
      ...(a.nextWithdrawal > 1 ? { pending: byKey(a.pendingWithdrawals).map(([, w]) => [w.id, w.currency, w.amount.toString(), w.destination, w.time] as [number, number, string, string, number]), nextWithdrawal: a.nextWithdrawal } : {}),
    })),
    open: byKey(ex.open).map(([, o]) => orderRecord(o)),
    identity: ex.identity.toRecord(),
    ...(ex.routing.empty ? {} : { routing: ex.routing.toRecord() }),
  };
  const book = writeSnapshot(ex.book);
  const head = new TextEncoder().encode(stateJsonHead(state));
  const prefix = new Uint8Array(4 + book.length + head.length);
  new DataView(prefix.buffer).setUint32(0, book.length, true);
  prefix.set(book, 4);
  prefix.set(head, 4 + book.length);
  // The window, most of a snapshot once a day of ids is in it, goes from its typed arrays into the
  // snapshot's one buffer (engine/window-json.ts): the text stateJson would give, without building it.
  return writeWindowJson(ex.idempotency, prefix, "}");
}

/** Infinity (an unlimited tier setting, an empty rate-limit slot) has no JSON form; it is kept as a string. */
const infinityToText = (_k: string, v: unknown) => (v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : v);
const textToInfinity = (_k: string, v: unknown) => (v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v);

/** The state without its window: what stateJsonHead writes. */
export type AccountSideHead = Omit<AccountSideState, "idempotency">;

/**
 * The same text as JSON.stringify(state, infinityToText), part by part: only the config and the
 * accounts can hold an Infinity, and a replacer costs a call per value, so the order lists — which
 * grow with the idempotency window and are most of a snapshot — take the native path. The
 * snapshot runs on the engine thread; this cut its stall several times. (writeExchangeSnapshot
 * writes the head and then the window's bytes; this whole text is the reference its tests hold it to.)
 */
export function stateJson(state: AccountSideState): string {
  return `${stateJsonHead(state)}${JSON.stringify(state.idempotency)}}`;
}

/** stateJson up to the window's value: everything through `"idempotency":`. */
export function stateJsonHead(state: AccountSideHead): string {
  return (
    `{"version":${JSON.stringify(state.version)},"config":${JSON.stringify(state.config, infinityToText)},` +
    `"markets":${JSON.stringify(state.markets, infinityToText)},"accounts":${JSON.stringify(state.accounts, infinityToText)},` +
    `"open":${JSON.stringify(state.open)},${state.identity ? `"identity":${JSON.stringify(state.identity)},` : ""}` +
    `${state.routing ? `"routing":${JSON.stringify(state.routing)},` : ""}"idempotency":`
  );
}

export function readExchangeSnapshot(bytes: Uint8Array): Exchange {
  if (bytes.length < 4) throw new SnapshotCorruptError("exchange snapshot truncated");
  const bookLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + bookLength > bytes.length) throw new SnapshotCorruptError("exchange snapshot truncated in the book section");
  const book = readSnapshot(bytes.subarray(4, 4 + bookLength));
  const text = new TextDecoder().decode(bytes.subarray(4 + bookLength));
  const state = JSON.parse(text) as AccountSideState;
  // Only these parts can hold an Infinity (stateJson); reviving them alone keeps recovery fast.
  state.config = JSON.parse(JSON.stringify(state.config), textToInfinity) as ExchangeConfig;
  state.markets = JSON.parse(JSON.stringify(state.markets), textToInfinity) as AccountSideState["markets"];
  state.accounts = JSON.parse(JSON.stringify(state.accounts), textToInfinity) as AccountRecord[];
  if (state.version !== 1 && state.version !== 2) throw new SnapshotCorruptError(`unsupported exchange snapshot version ${state.version}`);
  const ex = new Exchange(state.config, book);
  ex.identity = Identity.fromRecord(state.identity);
  ex.routing = Routing.fromRecord(state.routing);
  const ledger = ex.ledger;
  for (const [id, last, mark, dataStatus] of state.markets) {
    const m = ledger.markets.get(id);
    if (!m) throw new SnapshotCorruptError(`snapshot market ${id} is not in its config`);
    m.lastPrice = last;
    m.markOverride = mark;
    m.dataStatus = dataStatus ?? 0;
  }
  ledger.accounts.clear();
  for (const r of state.accounts) {
    const a = new Account(r.id, r.tier, r.rateTimes.length);
    const tier = ledger.tiers.get(r.tier);
    if (!tier) throw new SnapshotCorruptError(`snapshot account ${r.id} names unknown tier ${r.tier}`);
    a.limits = tier;
    for (const [c, bal, res] of r.cash) {
      const cash = new Cash();
      cash.balance = BigInt(bal);
      cash.reserved = BigInt(res);
      a.cash.set(c, cash);
    }
    for (const [s, qty, cost, realized, openBuys, openSells] of r.positions) {
      const p = new Position();
      p.qty = qty;
      p.cost = BigInt(cost);
      p.realized = BigInt(realized);
      p.openBuys = openBuys;
      p.openSells = openSells;
      a.positions.set(s, p);
    }
    a.allowed = r.allowed ? new Set(r.allowed) : null;
    for (const s of r.denied) a.denied.add(s);
    for (const [s, q] of r.shortLimits) a.shortLimits.set(s, q);
    for (const [d, t] of r.destinations) a.destinations.set(d, t);
    a.openOrders = r.openOrders;
    a.rateTimes.set(r.rateTimes);
    a.rateNext = r.rateNext;
    for (const [id, currency, amount, destination, time] of r.pending ?? []) a.pendingWithdrawals.set(id, { id, currency, amount: BigInt(amount), destination, time });
    a.nextWithdrawal = r.nextWithdrawal ?? 1;
    ledger.accounts.set(a.id, a);
  }
  for (const r of state.open) {
    const o = fromRecord(r);
    ex.attach(o);
    ex.open.set(r.orderId, o);
  }
  if (Array.isArray(state.idempotency)) {
    // Version 1: a done order was written in full; the window keeps only its duplicate answer.
    for (const e of state.idempotency) {
      if (typeof e === "number") {
        const o = ex.open.get(e);
        if (!o) throw new SnapshotCorruptError(`snapshot idempotency entry names order ${e} that is not open`);
        ex.idempotency.add(o);
      } else ex.idempotency.addDone({ ...e, leaves: 0 });
    }
  } else readWindow(state.idempotency, ex.idempotency, ex.open);
  return ex;
}
