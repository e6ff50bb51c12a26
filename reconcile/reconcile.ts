/**
 * One reconciliation run for a UTC day (docs/reconciliation.md): the history store against the
 * journal, end-of-day balances and positions (engine vs store), and, given a statement, our
 * deposits and withdrawals against the custodian's. Reads only: the journal read-only, the store
 * through its read methods, so it runs beside a live exchange.
 * Given a venue, our executions on its instruments against its drop copy too
 * (reconcile/venue-vs-ours.ts): fed by the same replay, compared once it is through.
 */
import type { ExchangeConfig } from "../engine/exchange.ts";
import { CashKind, type CashRow } from "../history/rows.ts";
import type { HistoryStore } from "../history/store.ts";
import { Assets } from "./assets.ts";
import { compareBalances } from "./balances.ts";
import { BREAK_KINDS, type Break, BreakKind, makeBreak } from "./breaks.ts";
import { CommandType } from "../engine/commands.ts";
import { formatPrice } from "../engine/instrument.ts";
import { reasonName } from "../engine/reasons.ts";
import { matchCustody, type Movement } from "./custody-match.ts";
import type { UtcDay } from "./day.ts";
import { findDay, JournalDay, type RefusedVenueReport } from "./journal-day.ts";
import { compareJournalWithHistory } from "./journal-vs-history.ts";
import { StoreBehindDay } from "./reconcile-errors.ts";
import { type VenueCompared, VenueReconciliation, type VenueSide } from "./venue-vs-ours.ts";

/** How far from our time the bank's may be and still be the same movement. */
export const DEFAULT_CUSTODY_TOLERANCE_US = 15 * 60 * 1_000_000;

export interface ReconcileOptions {
  dataDir: string;
  config: ExchangeConfig;
  store: HistoryStore;
  day: UtcDay;
  /** The custody statement's movements (reconcile/custody-statement.ts); absent: no custody comparison. */
  custody?: Movement[];
  custodyToleranceUs?: number;
  /** Venues, each with its drop copy; absent or empty: no venue comparison. */
  venues?: VenueSide[];
  /** Each break as it is found (the CLI logs it). */
  onBreak?: (b: Break) => void;
  chunkRows?: number;
  pageSize?: number;
}

export interface Compared {
  /** The day's seqs in the journal, and the part compared (through the store's progress). */
  firstSeq: number;
  lastSeq: number;
  comparedThroughSeq: number;
  storeSeq: number;
  journalEnd: number;
  /** The store had not written the whole day: seqs after comparedThroughSeq were not compared. */
  lagging: boolean;
  executions: number;
  cashMovements: number;
  storeExecutions: number;
  storeCashMovements: number;
  accounts: number;
  balances: number;
  positions: number;
  custody: { ours: number; bank: number; matched: number; outsideDay: number } | null;
  /** One a venue compared. */
  venues: VenueCompared[];
}

export interface ReconcileResult {
  day: string;
  compared: Compared;
  /** Every break found, open and resolved. */
  breaks: Break[];
  /** Breaks found per kind, and of them how many are open (not resolved by an operator). */
  counts: Record<BreakKind, number>;
  open: number;
  resolved: number;
}

export async function reconcile(o: ReconcileOptions): Promise<ReconcileResult> {
  const assets = new Assets(o.config);
  const breaks: Break[] = [];
  // A resolved break is still found and reported, as resolved: the records are never edited.
  const resolutions = new Map((await o.store.resolutions()).map((r) => [r.breakId, r]));
  const found = (b: Break) => {
    const r = resolutions.get(b.id);
    if (r) b.resolution = { action: r.action, reason: r.reason, commandSeq: r.commandSeq, operator: r.operator, at: new Date(r.at).toISOString() };
    breaks.push(b);
    o.onBreak?.(b);
  };
  const seqs = findDay(o.dataDir, o.day);
  const progress = await o.store.progress();
  if (progress.seq < seqs.firstSeq - 1) {
    throw new StoreBehindDay(`the history store is written through seq ${progress.seq}, before ${o.day.text} (its first command is seq ${seqs.firstSeq}): let the history writer catch up (bourse history status), then run again`);
  }
  const until = Math.min(seqs.lastSeq, progress.seq);
  // The drop copies are read (and refused) before the replay starts.
  const venues: VenueReconciliation[] = [];
  let day: JournalDay;
  try {
    for (const v of o.venues ?? []) venues.push(await VenueReconciliation.open(v, o.config, o.day));
    day = JournalDay.open(o.dataDir, o.config, seqs.firstSeq, until);
  } catch (e) {
    for (const v of venues) v.close();
    throw e;
  }
  const ours: Movement[] = [];
  day.onRefusedVenueReport = (r) => found(refusedReport(r, o.day.text, assets));
  try {
    const onCash = o.custody === undefined ? undefined : (r: CashRow) => {
      if (r.kind === CashKind.DEPOSIT || r.kind === CashKind.WITHDRAWAL) ours.push(ourMovement(r, assets));
    };
    const rows = await compareJournalWithHistory({ store: o.store, day, dayText: o.day.text, assets, fromSeq: seqs.firstSeq, onBreak: found, onCash, onExecution: venues.length > 0 ? (r) => venues.forEach((v) => v.execution(r)) : undefined, chunkRows: o.chunkRows, pageSize: o.pageSize });
    // The store's rows through the replica's seq are those with time before `at`.
    const at = until === seqs.lastSeq ? o.day.end : day.time + 1;
    const bal = await compareBalances(day.exchange, o.store, at, o.day.text, assets, found);
    let custody: Compared["custody"] = null;
    if (o.custody !== undefined) {
      const tol = o.custodyToleranceUs ?? DEFAULT_CUSTODY_TOLERANCE_US;
      const inDay = o.custody.filter((m) => m.time >= o.day.start - tol && m.time < o.day.end + tol);
      const r = matchCustody(ours, inDay, tol, o.day.text, assets);
      for (const b of r.breaks) found(b);
      custody = { ours: ours.length, bank: inDay.length, matched: r.matched, outsideDay: o.custody.length - inDay.length };
    }
    // A lagging store stopped the replay short of the day: our side ends there.
    for (const v of venues) await v.finish(found, o.store, until < seqs.lastSeq ? day.time : Infinity);
    const counts = Object.fromEntries(BREAK_KINDS.map((k) => [k, 0])) as Record<BreakKind, number>;
    for (const b of breaks) counts[b.kind]++;
    return {
      day: o.day.text,
      compared: {
        firstSeq: seqs.firstSeq, lastSeq: seqs.lastSeq, comparedThroughSeq: until, storeSeq: progress.seq, journalEnd: seqs.journalEnd, lagging: until < seqs.lastSeq,
        executions: rows.executions, cashMovements: rows.cash, storeExecutions: rows.storeExecutions, storeCashMovements: rows.storeCash,
        accounts: bal.accounts, balances: bal.balances, positions: bal.positions, custody, venues: venues.map((v) => v.compared),
      },
      breaks,
      counts,
      open: breaks.filter((b) => b.resolution === null).length,
      resolved: breaks.filter((b) => b.resolution !== null).length,
    };
  } finally {
    day.close();
    for (const v of venues) v.close();
  }
}

/** A venue report the engine refused, as a break: at stake, a fill's notional in the quote currency (else nothing). */
function refusedReport(r: RefusedVenueReport, dayText: string, assets: Assets): Break {
  const c = r.cmd;
  const reason = reasonName(r.reason);
  const fill = c.type === CommandType.VENUE_FILL;
  const inst = assets.instrument(c.symbol);
  const amount = fill && inst ? inst.tick.mul(c.price).mul(inst.lot.mul(c.qty)).toFixed() : "0";
  const what = fill ? `fill ${c.destination} of ${assets.qty(c.symbol, c.qty)} at ${inst ? formatPrice(inst, c.price) : c.price}` : c.type === CommandType.VENUE_ACK ? "status (open)" : c.type === CommandType.VENUE_DONE ? "end of the order" : "cancel refusal";
  return makeBreak(BreakKind.VENUE_REPORT_REFUSED, [r.seq], {
    day: dayText,
    account: c.account,
    asset: inst?.quote || assets.symbol(c.symbol),
    ours: { seq: r.seq, reason, orderId: c.orderId, symbol: assets.symbol(c.symbol) },
    theirs: { commandType: c.type, execId: fill ? c.destination : null, qty: assets.qty(c.symbol, c.qty), price: c.price, actor: c.actor },
    amount,
    text: `the venue's ${what} for order ${c.orderId} was refused (${reason}): nothing settled`,
  });
}

function ourMovement(r: CashRow, assets: Assets): Movement {
  const type = r.kind === CashKind.DEPOSIT ? "deposit" : "withdrawal";
  const amount = r.amount < 0n ? -r.amount : r.amount;
  return {
    account: r.account, currency: r.currency, type, amount, time: r.time,
    // No movement reference in the engine's commands (custody-match.ts): matched on the fields and time.
    reference: "",
    key: `journal:${r.seq}:${r.idx}:${r.n}`,
    record: { seq: r.seq, time: new Date(Math.floor(r.time / 1000)).toISOString(), account: r.account, currency: assets.currency(r.currency), amount: assets.money(r.currency, amount), type, destination: r.ref },
  };
}
