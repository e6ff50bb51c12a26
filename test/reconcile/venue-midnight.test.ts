/**
 * A fill across midnight (reconcile/venue-vs-ours.ts): the venue stamps 23:59:58 what we stamped
 * 00:00:01 the next day. The next day's run matches it (the drop copy is read with the tolerance
 * around the day); this day's run finds it unmatched near its edge, looks the order up in the
 * store, finds our fill on the other side of midnight and reports nothing. Without that fill, it
 * is MISSING_IN_OURS as any other.
 */
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { Side } from "../../engine/commands.ts";
import type { ExecutionRow } from "../../history/rows.ts";
import type { OrderRecord } from "../../history/store.ts";
import { BreakKind, type Break } from "../../reconcile/breaks.ts";
import { utcDay } from "../../reconcile/day.ts";
import { VenueReconciliation } from "../../reconcile/venue-vs-ours.ts";
import { demoConfig, tempDir } from "../history/journal-fixture.ts";
import { venueSide, writeDropCopy } from "./drop-copy-fixture.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const day = utcDay("2026-05-29");
const ours: ExecutionRow = {
  seq: 900, idx: 0, liquidity: 0, tradeId: 1, time: day.end + 1_000_000, symbol: 1, orderId: 4242, account: 1, side: Side.BUY, price: 60_000, qty: 5,
  leaves: 0, counterOrderId: 0, counterAccount: 4, notional: 0n, fee: 0n, feeBps: 0, currency: 1,
};
const file = writeDropCopy(tempDir(dirs, "bourse-midnight-"), "ACME.csv", "exec_id,venue_order_id,cl_ord_id,symbol,side,last_qty,last_px,commission,transact_time\nX9,V9,4242,BTC-USD,buy,0.005,30000,0.045,2026-05-29T23:59:58Z\n");

async function run(rows: ExecutionRow[]): Promise<{ breaks: Break[]; margin: number }> {
  const v = await VenueReconciliation.open(venueSide(file), demoConfig.exchange, day);
  const breaks: Break[] = [];
  try {
    await v.finish((b) => breaks.push(b), { order: async (id) => (id === 4242 ? ({ executions: rows } as unknown as OrderRecord) : null) });
    return { breaks, margin: v.compared.margin };
  } finally {
    v.close();
  }
}

test("our fill just after midnight: not a break of the day before", async () => {
  expect(await run([ours])).toEqual({ breaks: [], margin: 1 });
});

test("no such fill of ours, or one too far, or another quantity: MISSING_IN_OURS", async () => {
  for (const rows of [[], [{ ...ours, time: day.end + 9_000_000 }], [{ ...ours, qty: 6 }], [{ ...ours, account: 4 }]]) {
    const r = await run(rows);
    expect(r.breaks.map((b) => b.kind)).toEqual([BreakKind.MISSING_IN_OURS]);
  }
});
