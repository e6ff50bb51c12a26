/**
 * Transaction monitoring (history/monitoring/, docs/monitoring.md): each rule fires on a scripted
 * case — the right rule, account and seq — and none fires on a quiet stretch of ordinary trading;
 * a writer stopped and resumed mid-stream raises exactly the alerts of one that never stopped.
 */
import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { CommandType, Side, TimeInForce } from "../../engine/commands.ts";
import { type AlertView, Rule, ruleName } from "../../history/monitoring/alerts.ts";
import { SqliteHistoryStore } from "../../history/sqlite-store.ts";
import type { HistoryStore } from "../../history/store.ts";
import { HistoryWriter } from "../../history/writer.ts";
import { demoConfig } from "./journal-fixture.ts";
import { allAlerts, clearBook, DAY, HOUR, quietScript, SECOND, Script, T0, writeScript } from "./monitoring-fixture.ts";

const dirs: string[] = [];
const stores: HistoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const BTC = 1;
const MID = 60_000;

const brief = (a: AlertView) => `${ruleName(a.rule)} account ${a.account} seq ${a.seq}`;

/** The alerts raised at or after `seq`: what the script's trigger caused (the quiet part raises none, checked on its own). */
const after = (alerts: AlertView[], seq: number) => alerts.filter((a) => a.seq >= seq).map(brief);

describe("transaction monitoring", () => {
  test("a quiet stretch of ordinary trading, deposits and withdrawals raises no alert", async () => {
    const s = quietScript();
    const { store } = await writeScript(dirs, s, stores);
    expect((await allAlerts(store)).map(brief)).toEqual([]);
    // The rules were armed: every account has a history long enough to be judged.
    const states = await store.monitorState();
    expect(states.length).toBe(4);
    for (const r of states) expect(JSON.parse(r.state).orders).toBeGreaterThan(1000);
  });

  test("LARGE_ORDER: an order far beyond the account's usual size", async () => {
    const s = quietScript();
    const seq = s.order(1, BTC, Side.BUY, MID - 800, 3_000, s.time + SECOND);
    const { store } = await writeScript(dirs, s, stores);
    expect(after(await allAlerts(store), seq)).toEqual([`LARGE_ORDER account 1 seq ${seq}`]);
  });

  test("LARGE_FILL: a fill far beyond the account's usual fill, for both sides", async () => {
    const s = quietScript();
    clearBook(s);
    const rest = s.order(1, BTC, Side.SELL, MID + 300, 1_500, s.time + SECOND);
    const take = s.order(3, BTC, Side.BUY, MID + 400, 1_500, s.time + SECOND, TimeInForce.IOC);
    const { store } = await writeScript(dirs, s, stores);
    const got = after(await allAlerts(store), rest);
    expect(got).toContain(`LARGE_ORDER account 1 seq ${rest}`);
    expect(got).toContain(`LARGE_FILL account 1 seq ${take}`);
    expect(got).toContain(`LARGE_FILL account 3 seq ${take}`);
  });

  test("RAPID_POSITION: one-way buying within a minute, each fill of ordinary size", async () => {
    const s = quietScript();
    clearBook(s);
    const seller = s.order(1, BTC, Side.SELL, MID + 300, 2_000, s.time + SECOND);
    const buys: number[] = [];
    for (let i = 0; i < 40; i++) buys.push(s.order(4, BTC, Side.BUY, MID + 400, 40, s.time + SECOND, TimeInForce.IOC));
    const { store } = await writeScript(dirs, s, stores);
    const alerts = (await allAlerts(store)).filter((a) => a.seq >= seller && a.account === 4);
    // Each buy is a few times Dave's usual fill (no large fill); the run of them is one alert, on one of his buys.
    expect(alerts.map((a) => ruleName(a.rule))).toEqual(["RAPID_POSITION"]);
    expect(buys).toContain(alerts[0]!.seq);
    expect(JSON.parse(alerts[0]!.detail).net).toBeGreaterThan(0);
  });

  test("REJECT_BURST: thirty refused commands within ten seconds fire on the thirtieth", async () => {
    const s = quietScript();
    // Twenty seconds after the busy stretch: its own few rejects are out of the window.
    s.time += 20 * SECOND;
    const first = s.nextSeq;
    for (let i = 0; i < 40; i++) s.add({ type: CommandType.CANCEL, account: 2, symbol: BTC, orderId: 9_000_000 + i }, s.time + 100_000);
    const { store } = await writeScript(dirs, s, stores);
    expect(after(await allAlerts(store), first)).toEqual([`REJECT_BURST account 2 seq ${first + 29}`]);
  });

  test("QUICK_WITHDRAWAL: most of a deposit withdrawn ten minutes after it came in", async () => {
    const s = quietScript();
    const dep = s.add({ type: CommandType.DEPOSIT, account: 2, currency: 1, amount: 100_000_000_000n }, s.time + SECOND);
    const out = s.add({ type: CommandType.WITHDRAW, account: 2, currency: 1, amount: 80_000_000_000n, destination: "bank-2" }, s.time + 10 * 60 * SECOND);
    const { store } = await writeScript(dirs, s, stores);
    expect(after(await allAlerts(store), dep)).toEqual([`QUICK_WITHDRAWAL account 2 seq ${out}`]);
  });

  test("NEW_DESTINATION_WITHDRAWAL: a withdrawal to a destination added just over a day before", async () => {
    const s = quietScript();
    const add = s.add({ type: CommandType.ADD_DESTINATION, account: 1, destination: "new-bank" }, s.time + SECOND);
    const out = s.add({ type: CommandType.WITHDRAW, account: 1, currency: 1, amount: 1_000_000_000n, destination: "new-bank" }, s.time + DAY + HOUR);
    const { store } = await writeScript(dirs, s, stores);
    expect(after(await allAlerts(store), add)).toEqual([`NEW_DESTINATION_WITHDRAWAL account 1 seq ${out}`]);
  });

  test("UNUSUAL_HOUR: an account that trades in office hours places an order at 03:00", async () => {
    const s = new Script();
    s.add({ type: CommandType.OPEN_ACCOUNT, account: 2, tier: 1 });
    s.add({ type: CommandType.DEPOSIT, account: 2, currency: 1, amount: 10_000_000_000_000n });
    // Ten days, thirty orders a day between 09:00 and 17:00, each cancelled: small, ordinary, always resting below the market.
    for (let day = 0; day < 10; day++) {
      for (let i = 0; i < 30; i++) {
        const t = T0 + day * DAY + 9 * HOUR + i * 16 * 60 * SECOND;
        s.order(2, BTC, Side.BUY, MID - 500 - (i % 7), 5 + (i % 4), t);
        s.add({ type: CommandType.CANCEL, account: 2, symbol: BTC, orderId: 0 }, t + SECOND);
      }
    }
    const quietEnd = s.nextSeq;
    const odd = s.order(2, BTC, Side.BUY, MID - 500, 6, T0 + 10 * DAY + 3 * HOUR);
    const { store } = await writeScript(dirs, s, stores);
    const alerts = await allAlerts(store);
    expect(alerts.filter((a) => a.seq < quietEnd).map(brief)).toEqual([]);
    expect(after(alerts, quietEnd)).toEqual([`UNUSUAL_HOUR account 2 seq ${odd}`]);
  });

  test("a tier's settings override the defaults: monitoring off for tier 2, a lower large-order factor for tier 1", async () => {
    const s = quietScript();
    const small = s.order(1, BTC, Side.BUY, MID - 800, 120, s.time + SECOND);
    const carol = s.order(3, BTC, Side.BUY, MID - 800, 5_000, s.time + SECOND);
    const config = { ...demoConfig.exchange, tiers: demoConfig.exchange.tiers.map((t) => ({ ...t, monitoring: (t.id === 1 ? { largeOrderFactor: 8 } : { enabled: false }) as Record<string, number | boolean> })) };
    const { store } = await writeScript(dirs, s, stores, config);
    const got = after(await allAlerts(store), small);
    expect(got).toEqual([`LARGE_ORDER account 1 seq ${small}`]);
    expect(got).not.toContain(`LARGE_ORDER account 3 seq ${carol}`);
  });

  test("a writer stopped anywhere and resumed raises the same alerts, with the same rule state, as one that never stopped", async () => {
    const s = quietScript(5, 4000, 2000);
    clearBook(s);
    // Something for every rule, spread over the stream's end.
    s.order(1, BTC, Side.SELL, MID + 300, 1_500, s.time + SECOND);
    s.order(3, BTC, Side.BUY, MID + 400, 1_500, s.time + SECOND, TimeInForce.IOC);
    for (let i = 0; i < 40; i++) s.add({ type: CommandType.CANCEL, account: 2, symbol: BTC, orderId: 9_000_000 + i }, s.time + 100_000);
    s.add({ type: CommandType.DEPOSIT, account: 2, currency: 1, amount: 100_000_000_000n }, s.time + SECOND);
    s.add({ type: CommandType.WITHDRAW, account: 2, currency: 1, amount: 80_000_000_000n, destination: "bank-2" }, s.time + 60 * SECOND);
    const whole = await writeScript(dirs, s, stores);
    const want = await allAlerts(whole.store);
    expect(want.length).toBeGreaterThanOrEqual(4);
    const wantState = (await whole.store.monitorState()).sort((a, b) => a.account - b.account);

    const n = s.cmds.length;
    const resumed = new SqliteHistoryStore(path.join(whole.dir, "resumed.db"));
    stores.push(resumed);
    // Stops between and inside the triggers, each writer in small batches.
    for (const stop of [Math.floor(n / 3), n - 45, n - 20, n - 1, n]) {
      const w = await HistoryWriter.open({ dataDir: whole.dir, config: demoConfig.exchange, store: resumed, batchRows: 997 }, stop);
      await w.catchUp(stop);
      w.close();
    }
    expect((await allAlerts(resumed)).map(({ ackedAt: _, ...a }) => a)).toEqual(want.map(({ ackedAt: _, ...a }) => a));
    expect((await resumed.monitorState()).sort((a, b) => a.account - b.account)).toEqual(wantState);

    // A rebuild in place writes the same alerts again, and an acknowledgement survives it.
    const first = want[0]!;
    expect((await resumed.ack(first, "operator", "looked", 123))!.acked).toBe(true);
    await resumed.reset();
    const w = await HistoryWriter.open({ dataDir: whole.dir, config: demoConfig.exchange, store: resumed }, n);
    await w.catchUp(n);
    w.close();
    const rebuilt = await allAlerts(resumed);
    expect(rebuilt.map((a) => a.id)).toEqual(want.map((a) => a.id));
    expect(rebuilt[0]).toMatchObject({ id: first.id, ackedBy: "operator", note: "looked", ackedAt: 123 });
  });
});

void Rule;
