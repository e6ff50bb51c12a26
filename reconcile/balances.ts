/**
 * End-of-day balances: per account, the engine's cash per currency and positions per symbol at the
 * day's last compared command (the replica reconcile/journal-day.ts replayed there: recovery from
 * the newest snapshot before the day plus the journal, read-only) against the history store's
 * running balances at the same point (the last cash row, and the last position row, at or before it).
 *
 * The accounts compared are the engine's: a store row of an account the engine does not know is
 * already an EXTRA_IN_HISTORY of the journal comparison.
 */
import type { Exchange } from "../engine/exchange.ts";
import type { HistoryStore } from "../history/store.ts";
import type { Assets } from "./assets.ts";
import { type Break, BreakKind, makeBreak } from "./breaks.ts";

export interface BalanceCounts {
  accounts: number;
  balances: number;
  positions: number;
}

/**
 * Compares every account of `engine` with the store at engine time `at` (rows with time < at: the
 * store holds no row of a seq after the replica's, the caller sees to it).
 */
export async function compareBalances(engine: Exchange, store: HistoryStore, at: number, dayText: string, assets: Assets, onBreak: (b: Break) => void): Promise<BalanceCounts> {
  const counts: BalanceCounts = { accounts: 0, balances: 0, positions: 0 };
  const ids = [...engine.ledger.accounts.keys()].sort((a, b) => a - b);
  for (const account of ids) {
    const acct = engine.ledger.accounts.get(account)!;
    counts.accounts++;
    const stored = new Map((await store.balancesAt(account, at)).map((b) => [b.currency, b.balance]));
    const currencies = new Set([...acct.cash.keys(), ...stored.keys()]);
    for (const currency of [...currencies].sort((a, b) => a - b)) {
      counts.balances++;
      const ours = acct.cash.get(currency)?.balance ?? 0n;
      const theirs = stored.get(currency) ?? 0n;
      if (ours === theirs) continue;
      const code = assets.currency(currency);
      onBreak(
        makeBreak(BreakKind.BALANCE_MISMATCH, [dayText, account, currency], {
          day: dayText, account, asset: code,
          ours: { account, currency: code, balance: assets.money(currency, ours) },
          theirs: { account, currency: code, balance: assets.money(currency, theirs) },
          amount: assets.money(currency, ours - theirs),
          text: `end of day ${code} balance: engine ${assets.money(currency, ours)}, history store ${assets.money(currency, theirs)}`,
        }),
      );
    }
    const positions = new Map((await store.positionsAt(account, at)).map((p) => [p.symbol, p]));
    const symbols = new Set([...acct.positions.keys(), ...positions.keys()]);
    for (const symbol of [...symbols].sort((a, b) => a - b)) {
      const p = acct.positions.get(symbol);
      const ours = { qty: p?.qty ?? 0, cost: p?.cost ?? 0n, realized: p?.realized ?? 0n };
      const s = positions.get(symbol);
      const theirs = { qty: s?.qty ?? 0, cost: s?.cost ?? 0n, realized: s?.realized ?? 0n };
      // A position that never existed on one side and is flat on the other is not a position.
      if (ours.qty === 0 && ours.cost === 0n && ours.realized === 0n && !s) continue;
      counts.positions++;
      const differ = (["qty", "cost", "realized"] as const).filter((f) => ours[f] !== theirs[f]);
      if (differ.length === 0) continue;
      const name = assets.symbol(symbol);
      const plainPos = (x: typeof ours) => ({ account, symbol: name, qty: assets.qty(symbol, x.qty), cost: x.cost.toString(), realized: x.realized.toString() });
      onBreak(
        makeBreak(BreakKind.POSITION_MISMATCH, [dayText, account, symbol], {
          day: dayText, account, asset: name,
          ours: plainPos(ours),
          theirs: plainPos(theirs),
          amount: assets.qty(symbol, ours.qty - theirs.qty),
          text: `end of day ${name} position differs in ${differ.join(", ")}: engine ${assets.qty(symbol, ours.qty)}, history store ${assets.qty(symbol, theirs.qty)}`,
        }),
      );
    }
  }
  return counts;
}
