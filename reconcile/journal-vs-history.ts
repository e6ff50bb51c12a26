/**
 * The history store against the journal, for one day: every execution and every cash movement the
 * journal implies is in the store exactly once, with the same fields. The journal's rows are
 * derived by the history writer's own RowBuilder (reconcile/journal-day.ts); both sides are read in
 * key order — (seq, idx, liquidity) for executions, (seq, idx, n) for cash — and merge-joined,
 * streamed: the journal a chunk of commands at a time, the store a keyset page at a time, so
 * neither side of a day is held in memory whole.
 *
 * The writer may lag: only seqs the store says it covers (its progress) are compared; the caller
 * bounds the replay by it and the report says so.
 */
import type { HistoryStore } from "../history/store.ts";
import type { CashRow, ExecutionRow } from "../history/rows.ts";
import type { Assets } from "./assets.ts";
import { type Break, BreakKind, makeBreak, plain } from "./breaks.ts";
import type { JournalDay } from "./journal-day.ts";
import { compareKeys, Peekable } from "./keyed-stream.ts";

/** How one kind of row is keyed, compared and valued. */
interface RowSpec<T> {
  /** "execution" or "cash": the first natural key of its breaks. */
  name: string;
  key(r: T): number[];
  /** The fields compared, every one the row has. */
  fields: readonly (keyof T & string)[];
  account(r: T): number;
  currency(r: T): number;
  /** The money the row moves (a row missing or extra puts this at stake). */
  value(r: T): bigint;
  /** Its money fields: a mismatch puts the difference of the first that differs at stake (ours − theirs). */
  money: readonly (keyof T & string)[];
}

const EXECUTION: RowSpec<ExecutionRow> = {
  name: "execution",
  key: (r) => [r.seq, r.idx, r.liquidity],
  fields: ["seq", "idx", "liquidity", "tradeId", "time", "symbol", "orderId", "account", "side", "price", "qty", "leaves", "counterOrderId", "counterAccount", "notional", "fee", "feeBps", "currency"],
  account: (r) => r.account,
  currency: (r) => r.currency,
  value: (r) => r.notional,
  money: ["notional", "fee"],
};

const CASH: RowSpec<CashRow> = {
  name: "cash",
  key: (r) => [r.seq, r.idx, r.n],
  fields: ["seq", "idx", "n", "time", "account", "currency", "kind", "amount", "balance", "tradeId", "ref"],
  account: (r) => r.account,
  currency: (r) => r.currency,
  value: (r) => r.amount,
  money: ["amount", "balance"],
};

export interface JournalHistoryCounts {
  /** Rows the journal implies, compared. */
  executions: number;
  cash: number;
  /** Rows the store held in the range. */
  storeExecutions: number;
  storeCash: number;
}

export interface JournalHistoryOptions {
  store: HistoryStore;
  day: JournalDay;
  dayText: string;
  assets: Assets;
  fromSeq: number;
  onBreak: (b: Break) => void;
  /** Each of the journal's cash rows of the day, in order (the custody comparison's side). */
  onCash?: (r: CashRow) => void;
  /** Each of the journal's execution rows of the day, in order (the venue comparison's side). */
  onExecution?: (r: ExecutionRow) => void;
  /** Commands replayed per chunk's rows, and the store's page size. */
  chunkRows?: number;
  pageSize?: number;
}

/** Replays `day` to its end, comparing as it goes. Returns what was compared. */
export async function compareJournalWithHistory(o: JournalHistoryOptions): Promise<JournalHistoryCounts> {
  const counts: JournalHistoryCounts = { executions: 0, cash: 0, storeExecutions: 0, storeCash: 0 };
  const until = o.day.untilSeq;
  const executions = new Merge(EXECUTION, await Peekable.of(o.store.streamExecutionsBySeq(o.fromSeq, until, o.pageSize)), o);
  const cash = new Merge(CASH, await Peekable.of(o.store.streamCashBySeq(o.fromSeq, until, o.pageSize)), o);
  for (let batch = o.day.next(o.chunkRows); batch !== null; batch = o.day.next(o.chunkRows)) {
    const bySeq = (a: number[], b: number[]) => compareKeys(a, b);
    batch.executions.sort((a, b) => bySeq(EXECUTION.key(a), EXECUTION.key(b)));
    batch.cash.sort((a, b) => bySeq(CASH.key(a), CASH.key(b)));
    for (const r of batch.executions) {
      o.onExecution?.(r);
      await executions.ours(r);
    }
    for (const r of batch.cash) {
      o.onCash?.(r);
      await cash.ours(r);
    }
    counts.executions += batch.executions.length;
    counts.cash += batch.cash.length;
  }
  await executions.drain();
  await cash.drain();
  counts.storeExecutions = executions.theirsRead;
  counts.storeCash = cash.theirsRead;
  return counts;
}

/** One merge-join of our rows (fed in key order) with the store's stream. */
class Merge<T extends object> {
  theirsRead = 0;
  /** The key of the last store row taken: a row with the same key again is a duplicate. */
  private lastKey: number[] | null = null;

  constructor(
    private readonly spec: RowSpec<T>,
    private readonly theirs: Peekable<T>,
    private readonly o: JournalHistoryOptions,
  ) {}

  async ours(r: T): Promise<void> {
    const key = this.spec.key(r);
    while (this.theirs.peek !== null && compareKeys(this.spec.key(this.theirs.peek), key) < 0) this.unmatched(await this.take());
    const same: T[] = [];
    while (this.theirs.peek !== null && compareKeys(this.spec.key(this.theirs.peek), key) === 0) same.push(await this.take());
    this.lastKey = key;
    if (same.length === 0) {
      this.report(BreakKind.MISSING_IN_HISTORY, r, null, this.spec.value(r), `the journal implies ${this.spec.name} ${key.join("/")} and the history store does not hold it`);
      return;
    }
    // Of several rows under one key, the one most like ours is the row; the others are duplicates.
    const diffs = same.map((t) => this.differing(r, t));
    const best = diffs.reduce((bi, d, i) => (d.length < diffs[bi]!.length ? i : bi), 0);
    const d = diffs[best]!;
    if (d.length > 0) {
      const t = same[best]!;
      const f = this.spec.money.find((m) => r[m] !== t[m]);
      const v = f === undefined ? 0n : (r[f] as bigint) - (t[f] as bigint);
      this.report(BreakKind.FIELD_MISMATCH, r, same[best]!, v, `${this.spec.name} ${key.join("/")} differs in ${d.join(", ")}`, d);
    }
    same.forEach((t, i) => {
      if (i !== best) this.report(BreakKind.DUPLICATE_IN_HISTORY, null, t, this.spec.value(t), `the history store holds ${this.spec.name} ${key.join("/")} more than once`, [this.spec.account(t)]);
    });
  }

  /** The store rows after the last of ours. */
  async drain(): Promise<void> {
    while (this.theirs.peek !== null) this.unmatched(await this.take());
  }

  private async take(): Promise<T> {
    this.theirsRead++;
    return this.theirs.take();
  }

  private unmatched(t: T): void {
    const key = this.spec.key(t);
    const dup = this.lastKey !== null && compareKeys(this.lastKey, key) === 0;
    this.lastKey = key;
    if (dup) this.report(BreakKind.DUPLICATE_IN_HISTORY, null, t, this.spec.value(t), `the history store holds ${this.spec.name} ${key.join("/")} more than once`, [this.spec.account(t)]);
    else this.report(BreakKind.EXTRA_IN_HISTORY, null, t, this.spec.value(t), `the history store holds ${this.spec.name} ${key.join("/")} and the journal does not imply it`, [this.spec.account(t)]);
  }

  private differing(a: T, b: T): string[] {
    return this.spec.fields.filter((f) => a[f] !== b[f]);
  }

  private report(kind: BreakKind, ours: T | null, theirs: T | null, value: bigint, text: string, extraKeys: (string | number)[] = []): void {
    const row = (ours ?? theirs)!;
    const spec = this.spec;
    this.o.onBreak(
      makeBreak(kind, [this.o.dayText, spec.name, ...spec.key(row), ...extraKeys], {
        day: this.o.dayText,
        account: spec.account(row),
        asset: this.o.assets.currency(spec.currency(row)),
        ours: plain(ours),
        theirs: plain(theirs),
        amount: this.o.assets.money(spec.currency(row), value),
        text,
      }),
    );
  }
}
