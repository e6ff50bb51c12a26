/**
 * Our executions against a venue's drop copy (docs/reconciliation.md), on a scripted day whose two
 * instruments are routed to ACME (test/reconcile/drop-copy-fixture.ts): the drop copy the venue
 * would send — its own ids, its zone, its clock a little off, fills split differently — raises no
 * break, as CSV and as a FIX log; each kind of break injected into it is reported once, with its
 * amount, and an operator's resolution sticks to it; a malformed file is refused naming its line.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { SqliteHistoryStore } from "../../history/sqlite-store.ts";
import { notes } from "../../reconcile/report.ts";
import { Decimal } from "../../engine/instrument.ts";
import { type Break, BreakKind } from "../../reconcile/breaks.ts";
import { utcDay } from "../../reconcile/day.ts";
import { reconcile } from "../../reconcile/reconcile.ts";
import { DropCopyError } from "../../reconcile/reconcile-errors.ts";
import { demoConfig, tempDir } from "../history/journal-fixture.ts";
import { DAY, type ScriptedDay, scriptedDay } from "./day-fixture.ts";
import { commissionOf, csvText, fixText, STREET, type VenueLine, venueLines, venueSide, writeDropCopy, zoned } from "./drop-copy-fixture.ts";

const dirs: string[] = [];
let d: ScriptedDay;
let lines: VenueLine[];
let files: string;
const day = utcDay(DAY);

beforeAll(async () => {
  d = await scriptedDay(dirs, 3000);
  lines = venueLines(d.store, day);
  files = tempDir(dirs, "bourse-venue-");
});
afterAll(async () => {
  await d.store.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

let n = 0;
async function run(text: string, toleranceUs?: number) {
  const file = writeDropCopy(files, `drop-${++n}.txt`, text);
  return reconcile({ dataDir: d.dir, config: demoConfig.exchange, store: d.store, day, venues: [venueSide(file, toleranceUs)] });
}
const venueBreaks = (bs: Break[]) => bs.filter((b) => b.text.startsWith("ACME: "));
const notional = (l: VenueLine) => new Decimal(l.last_qty).mul(l.last_px);

describe("a clean drop copy", () => {
  test("the day's fills routed to the venue, CSV in UTC+05:45 with the venue's ids: no break", async () => {
    expect(lines.length).toBeGreaterThan(500);
    const r = await run(csvText(lines));
    expect(r.breaks).toEqual([]);
    expect(r.compared.venues).toEqual([{ name: "ACME", ours: lines.length, theirs: lines.length, outsideDay: 0, margin: 0, afterReplay: 0 }]);
  });

  test("as a FIX log, SOH- or '|'-delimited, heartbeats between: no break", async () => {
    expect((await run(fixText(lines))).breaks).toEqual([]);
    expect((await run(fixText(lines, "|"))).breaks).toEqual([]);
  });

  test("in any zone, in any order of lines: no break", async () => {
    const west = venueLines(d.store, day, -600, -2_000_000).reverse();
    expect((await run(csvText(west))).breaks).toEqual([]);
  });

  test("fills split differently — the venue's 2 where we have 1, and 1 where we have 2 — are no break", async () => {
    const split: VenueLine[] = [];
    let splits = 0;
    let merges = 0;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      const next = lines[i + 1];
      // Two of ours of one order at one price and side: the venue has them as one fill.
      if (next && next.cl_ord_id === l.cl_ord_id && next.last_px === l.last_px && next.side === l.side && merges < 20) {
        const qty = new Decimal(l.last_qty).add(next.last_qty);
        split.push({ ...l, last_qty: qty.toFixed(), commission: commissionOf(qty, new Decimal(l.last_px)) });
        merges++;
        i++;
        continue;
      }
      const lots = new Decimal(l.last_qty).div("0.001").toNumber();
      if (lots >= 2 && i % 3 === 0) {
        const a = new Decimal(Math.floor(lots / 2)).mul("0.001");
        const b = new Decimal(l.last_qty).sub(a);
        split.push({ ...l, exec_id: `${l.exec_id}a`, last_qty: a.toFixed(), commission: commissionOf(a, new Decimal(l.last_px)) });
        split.push({ ...l, exec_id: `${l.exec_id}b`, last_qty: b.toFixed(), commission: commissionOf(b, new Decimal(l.last_px)), us: l.us + 700_000, transact_time: zoned(l.us + 700_000, 345) });
        splits++;
      } else split.push(l);
    }
    expect(splits).toBeGreaterThan(50);
    expect(merges).toBeGreaterThan(0);
    expect((await run(csvText(split))).breaks).toEqual([]);
  });
});

describe("each break injected into otherwise identical records is reported once, with its amount", () => {
  const at = 37;
  const inject = async (change: (ls: VenueLine[]) => VenueLine[]) => {
    const r = await run(csvText(change(lines.map((l) => ({ ...l })))));
    expect(r.breaks.length).toBe(venueBreaks(r.breaks).length);
    return r.breaks;
  };
  const only = (bs: Break[], kind: string, amount: string, account: number, asset = "USD") => {
    expect(bs.map((b) => [b.kind, b.amount, b.account, b.asset])).toEqual([[kind, amount, account, asset]]);
    return bs[0]!;
  };
  const ourAccount = () => Number((d.store.db.query("SELECT account FROM executions WHERE order_id = ? AND account <> ? LIMIT 1").get(Number(lines[at]!.cl_ord_id), STREET) as { account: number }).account);

  test("MISSING_AT_VENUE: a fill of ours the drop copy lacks", async () => {
    const b = only(await inject((ls) => ls.filter((_, i) => i !== at)), BreakKind.MISSING_AT_VENUE, notional(lines[at]!).toFixed(), ourAccount());
    expect(b.ours?.orderId).toBe(Number(lines[at]!.cl_ord_id));
    expect(b.theirs).toBeNull();
  });

  test("MISSING_IN_OURS: a venue fill for an order we never sent", async () => {
    const ghost = { ...lines[at]!, exec_id: "ACME-GHOST", cl_ord_id: "987654321" };
    const b = only(await inject((ls) => [...ls, ghost]), BreakKind.MISSING_IN_OURS, notional(ghost).toFixed(), STREET);
    expect(b.theirs?.execId).toBe("ACME-GHOST");
    expect(b.ours).toBeNull();
  });

  test("DUPLICATE: the same ExecID twice in the drop copy", async () => {
    const b = only(await inject((ls) => [...ls.slice(0, at + 5), ls[at]!, ...ls.slice(at + 5)]), BreakKind.DUPLICATE, notional(lines[at]!).toFixed(), STREET);
    expect(b.text).toContain(lines[at]!.exec_id);
  });

  test("DUPLICATE: one venue fill settled twice on our side (two alike fills of an order, the venue has one)", async () => {
    const twin = lines.findIndex((l, i) => lines.some((m, j) => j !== i && m.cl_ord_id === l.cl_ord_id && m.side === l.side && m.last_qty === l.last_qty && m.last_px === l.last_px && Math.abs(m.us - l.us) < 2_000_000));
    expect(twin).toBeGreaterThanOrEqual(0);
    const b = only(await inject((ls) => ls.filter((_, i) => i !== twin)), BreakKind.DUPLICATE, notional(lines[twin]!).toFixed(), Number((d.store.db.query("SELECT account FROM executions WHERE order_id = ? AND account <> ? LIMIT 1").get(Number(lines[twin]!.cl_ord_id), STREET) as { account: number }).account));
    expect(b.ours?.fills).toBeDefined();
  });

  test("QUANTITY: the venue's quantity differs", async () => {
    const qty = new Decimal(lines[at]!.last_qty).add("0.005");
    only(await inject((ls) => ((ls[at]!.last_qty = qty.toFixed()), (ls[at]!.commission = commissionOf(qty, new Decimal(ls[at]!.last_px))), ls)), BreakKind.QUANTITY, "-0.005", ourAccount(), lines[at]!.symbol);
  });

  test("PRICE: the venue's price differs", async () => {
    const px = new Decimal(lines[at]!.last_px).add("1.5");
    const want = new Decimal(lines[at]!.last_qty).mul("-1.5").toFixed();
    only(await inject((ls) => ((ls[at]!.last_px = px.toFixed()), (ls[at]!.commission = commissionOf(new Decimal(ls[at]!.last_qty), px)), ls)), BreakKind.PRICE, want, ourAccount());
  });

  test("SIDE: the venue has the other side", async () => {
    only(await inject((ls) => ((ls[at]!.side = ls[at]!.side === "buy" ? "sell" : "buy"), ls)), BreakKind.SIDE, notional(lines[at]!).toFixed(), ourAccount());
  });

  test("FEE: a commission that is not the venue's rate of the notional", async () => {
    const expected = notional(lines[at]!).mul(3).div(10_000);
    const paid = new Decimal(lines[at]!.commission).add("0.25");
    only(await inject((ls) => ((ls[at]!.commission = paid.toFixed()), ls)), BreakKind.FEE, paid.sub(expected).toFixed(), ourAccount());
  });

  test("TIME: the venue's time further from ours than the tolerance", async () => {
    const moved = lines[at]!.us + 9_000_000;
    only(await inject((ls) => ((ls[at]!.transact_time = zoned(moved, -300)), ls)), BreakKind.TIME, notional(lines[at]!).toFixed(), ourAccount());
  });

  test("the tolerance is the caller's: 10 s takes that fill as on time", async () => {
    const ls = lines.map((l) => ({ ...l }));
    ls[at]!.transact_time = zoned(ls[at]!.us + 9_000_000, 0);
    expect((await run(csvText(ls), 10_000_000)).breaks).toEqual([]);
  });

  test("every kind at once: each found, none else, ids stable across runs", async () => {
    const change = (ls: VenueLine[]) => {
      ls[10]!.last_qty = new Decimal(ls[10]!.last_qty).add("0.001").toFixed();
      ls[20]!.last_px = new Decimal(ls[20]!.last_px).add("0.5").toFixed();
      // The venue's commission is of its own notional: only the one changed below is a FEE break.
      for (const l of [ls[10]!, ls[20]!]) l.commission = commissionOf(new Decimal(l.last_qty), new Decimal(l.last_px));
      ls[30]!.side = ls[30]!.side === "buy" ? "sell" : "buy";
      ls[40]!.commission = new Decimal(ls[40]!.commission).add("1").toFixed();
      ls[50]!.transact_time = zoned(ls[50]!.us - 30_000_000, 60);
      return [...ls.filter((_, i) => i !== 60), ls[70]!, { ...ls[80]!, exec_id: "ACME-NEW", cl_ord_id: "ABC" }];
    };
    const a = await inject(change);
    const b = await inject(change);
    expect(a.map((x) => x.kind).sort()).toEqual(["DUPLICATE", "FEE", "MISSING_AT_VENUE", "MISSING_IN_OURS", "PRICE", "QUANTITY", "SIDE", "TIME"]);
    expect(b.map((x) => x.id)).toEqual(a.map((x) => x.id));
  });

  test("a break resolved by an operator is reported as resolved on the next run", async () => {
    const [b] = await inject((ls) => ls.filter((_, i) => i !== at + 1));
    await d.store.resolve({ breakId: b!.id, action: "accepted", reason: "venue error, confirmed", commandSeq: 0, operator: "ops", at: Date.now() });
    const r = await run(csvText(lines.filter((_, i) => i !== at + 1)));
    expect(r.open).toBe(0);
    expect(r.resolved).toBe(1);
    expect(r.breaks[0]!.resolution?.reason).toBe("venue error, confirmed");
  });
});

test("a store the writer has not finished: the venue's later fills are not compared, and the summary says so", async () => {
  const file = join(files, "lagging.db");
  // The store's file whole (its write-ahead log folded in), then cut back as a writer that stopped at seq 2000 leaves it.
  d.store.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  copyFileSync(d.storeFile, file);
  const s = new SqliteHistoryStore(file);
  try {
    s.db.run("UPDATE progress SET seq = 2000");
    for (const t of ["executions", "cash", "positions"]) s.db.run(`DELETE FROM ${t} WHERE seq > 2000`);
    const r = await reconcile({ dataDir: d.dir, config: demoConfig.exchange, store: s, day, venues: [venueSide(writeDropCopy(files, "lagging.csv", csvText(lines)))] });
    expect(r.compared.lagging).toBe(true);
    expect(r.breaks).toEqual([]);
    const v = r.compared.venues[0]!;
    expect(v.ours).toBeLessThan(lines.length);
    expect(v.afterReplay).toBe(lines.length - v.ours);
    expect(notes(r).some((n) => n.includes("later than the history store reaches"))).toBe(true);
  } finally {
    await s.close();
  }
});

describe("a drop copy that cannot be read is refused, naming the line", () => {
  const refused = async (text: string, what: RegExp) => {
    const e = await run(text).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DropCopyError);
    expect(String((e as Error).message)).toMatch(what);
  };
  test("a header without a column", () => refused("exec_id,cl_ord_id\r\nX,1\r\n", /line 1: the header lacks venue_order_id/));
  test("a symbol not routed to the venue", () => refused(csvText([{ ...lines[0]!, symbol: "DOGE-USD" }]), /line 2: symbol "DOGE-USD" is not an instrument routed/));
  test("a time without an offset", () => refused(csvText([{ ...lines[0]!, transact_time: "2026-05-29T10:00:00" }]), /line 2: time .* is not ISO 8601 with a UTC offset/));
  test("a FIX fill without ExecID", () => refused("8=FIX.4.4|35=8|150=F|11=5|55=BTC-USD|54=1|32=1|31=2|60=20260529-10:00:00.000|\n", /line 1: an execution report without ExecID\(17\)/));
  test("a missing file", () => refused("", /empty/));
});
