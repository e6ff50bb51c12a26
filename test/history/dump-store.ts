/** Every row of a history store, read through its interface, for comparing two stores row for row. */
import { INTERVALS } from "../../engine/candles.ts";
import type { HistoryStore } from "../../history/store.ts";

export async function dumpStore(s: HistoryStore, symbols: number[], accounts: number[]) {
  const all = async <T>(it: AsyncIterable<T>) => {
    const out: T[] = [];
    for await (const x of it) out.push(x);
    return out;
  };
  const orders = [];
  for (const account of accounts) {
    for (let cursor: string | undefined; ; ) {
      const page = await s.orders({ account, cursor, limit: 1000 });
      for (const o of page.rows) orders.push(await s.order(o.orderId));
      if (!page.next) break;
      cursor = page.next;
    }
  }
  const perAccount = await Promise.all(accounts.map(async (a) => ({ cash: await all(s.streamCash(a, {})), executions: await all(s.streamExecutions(a, {})), positions: await all(s.streamPositions(a, {})) })));
  const candles = [];
  for (const symbol of symbols) for (const interval of INTERVALS) candles.push(...(await s.candles({ symbol, interval, limit: 10000 })));
  return { progress: await s.progress(), counts: await s.counts(), orders, perAccount, admin: await all(s.streamAdmin({})), candles };
}
