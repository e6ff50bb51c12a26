import { SnapshotCorruptError } from "./errors.ts";
import type { IdempotencyWindow } from "./idempotency-window.ts";
import type { OmsOrder } from "./orders.ts";

/**
 * The idempotency window in a snapshot: its findable entries in submission order (ties by order
 * id) as columns, so a day of client order ids costs a few numbers each instead of a full order
 * record (version 1 wrote ~400 bytes of JSON per done order). Canonical: the same entries always
 * give the same columns, whatever the table's layout or history, so the state hash of a live
 * engine and of one restored from its snapshot agree.
 *
 * Times and order ids are written as differences from the entry before (mostly small numbers in
 * submission order); client order ids are joined by spaces, which a valid id never contains.
 * An open entry's answer is the open order itself (state −1); a done entry adds its DUPLICATE
 * answer to `done`: symbol, side, price, filled.
 */
export interface WindowColumns {
  accounts: number[];
  ids: string;
  times: number[];
  orderIds: number[];
  states: number[];
  done: number[];
}

export function writeWindow(w: IdempotencyWindow): WindowColumns {
  const rows = w.rowsInOrder();
  const c: WindowColumns = { accounts: [], ids: "", times: [], orderIds: [], states: [], done: [] };
  const ids: string[] = [];
  let time = 0;
  let orderId = 0;
  for (const row of rows) {
    c.accounts.push(w.accountAt(row));
    ids.push(w.clientOrderIdAt(row));
    c.times.push(w.submitTimeAt(row) - time);
    time = w.submitTimeAt(row);
    c.orderIds.push(w.orderIdAt(row) - orderId);
    orderId = w.orderIdAt(row);
    if (w.isOpen(row)) c.states.push(-1);
    else {
      c.states.push(w.stateAt(row));
      c.done.push(w.symbolAt(row), w.sideAt(row), w.priceAt(row), w.filledAt(row));
    }
  }
  c.ids = ids.join(" ");
  return c;
}

/** Refills an empty window, in the written order (so eviction order is the live one's). */
export function readWindow(c: WindowColumns, w: IdempotencyWindow, open: ReadonlyMap<number, OmsOrder>): void {
  const n = c.accounts.length;
  const ids = n === 0 ? [] : c.ids.split(" ");
  if (ids.length !== n || c.times.length !== n || c.orderIds.length !== n || c.states.length !== n) {
    throw new SnapshotCorruptError(`snapshot idempotency columns disagree on the number of entries (${n})`);
  }
  let time = 0;
  let orderId = 0;
  let d = 0;
  for (let k = 0; k < n; k++) {
    time += c.times[k]!;
    orderId += c.orderIds[k]!;
    const state = c.states[k]!;
    if (state === -1) {
      const o = open.get(orderId);
      if (!o || o.clientOrderId !== ids[k] || o.account !== c.accounts[k]) {
        throw new SnapshotCorruptError(`snapshot idempotency entry names order ${orderId} that is not open under ${c.accounts[k]}/${ids[k]}`);
      }
      w.add(o);
    } else {
      if (d + 4 > c.done.length) throw new SnapshotCorruptError("snapshot idempotency columns end early");
      const [symbol, side, price, filled] = c.done.slice(d, (d += 4)) as [number, number, number, number];
      w.addDone({ orderId, account: c.accounts[k]!, clientOrderId: ids[k]!, submitTime: time, symbol, side, price, filled, leaves: 0, state });
    }
  }
}
