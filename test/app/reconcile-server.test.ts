/**
 * The scheduled run inside the server (app/exchange.ts): the exchange arms it at start; its timer,
 * fired by hand instead of waiting for the next 00:15 UTC, reconciles the UTC day before that in a worker against the
 * venue's drop copy found by its name; the break's alert, RECONCILIATION_BREAK, is what an operator
 * then lists over REST /alerts, and acknowledges as any alert; the report is where the config says.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseExchange } from "../../app/exchange.ts";
import { BourseClient } from "../../client/client.ts";
import { memoryLogger } from "../../log/memory.ts";
import { demoConfig } from "../gateway/support/harness.ts";

const dir = mkdtempSync(join(tmpdir(), "bourse-reconcile-server-"));
const fired: (() => void)[] = [];
const mem = memoryLogger();
let ex: BourseExchange;
let http: string;
let token: string;
/** The day the armed timer reconciles (read once the exchange runs: today's, or yesterday's between 00:00 and 00:15 UTC). */
let day = "";
const candidates = [0, 1].map((n) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10));

beforeAll(async () => {
  const drops = join(dir, "drops");
  mkdirSync(drops);
  // The venue's drop copy of the day: a fill for an order we never sent (this exchange trades nothing).
  for (const d of candidates) writeFileSync(join(drops, `ACME-${d}.csv`), `exec_id,venue_order_id,cl_ord_id,symbol,side,last_qty,last_px,commission,transact_time\nX1,V1,777777,BTC-USD,buy,0.5,30000,0,${d}T00:00:01+00:00\n`);
  const config = demoConfig((c) => {
    c.users = [{ name: "olga", role: "operator", password: "olga-demo-password" }];
    c.identity = { passwordHashing: { memoryCost: 1024, timeCost: 1, concurrency: 2 } };
    c.venues = { ACME: { account: 4, routing: false } };
    c.exchange.instruments = c.exchange.instruments.map((i) => ({ ...i, venue: "ACME" }));
    c.reconcile = { dropCopyDir: drops, out: join(dir, "reports") };
  });
  ex = await new BourseExchange({ dataDir: join(dir, "data"), config, workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: mem.log, reconcileTimer: (fn) => (fired.push(fn), { cancel: () => {} }) }).start();
  day = ex.reconciliation!.next().day;
  http = `http://127.0.0.1:${ex.gateway!.server.port}`;
  const id = ex.identity!;
  token = id.sessions.create({ userId: id.directory.identity.users.get("olga")!.id, user: "olga", address: "127.0.0.1", agent: "test", nowMs: Date.now() }).token;
});
afterAll(async () => {
  await ex.stop();
  rmSync(dir, { recursive: true, force: true });
});

const alerts = async (query = "") => ((await (await fetch(`${http}/api/v1/alerts${query}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { alerts: { id: string; rule: string; severity: string; account: number; details: Record<string, unknown> }[] }).alerts;

test("the timer fires: the day reconciled in a worker, the break logged, RECONCILIATION_BREAK on the ALERTS feed and over REST", async () => {
  expect(ex.reconciliation).not.toBeNull();
  expect(fired.length).toBe(1);
  expect(await alerts()).toEqual([]);
  // An operator's WebSocket session subscribed to alerts (the round trip after it: the subscription is in place).
  const c = await BourseClient.connect(ex.gateway!.url);
  await c.loginToken(token);
  const feed = c.alerts({ minSeverity: "high" });
  const pushed = feed.next();
  await c.referenceData();
  fired[0]!();
  await ex.reconciliation!.inFlight;
  const a = (await pushed).value!;
  expect(a).toMatchObject({ rule: "RECONCILIATION_BREAK", ruleId: 9, account: 0, severity: "high" });
  await feed.return(undefined);
  c.close();
  expect(mem.records.filter((l) => l.msg.startsWith("reconciliation could")).map((l) => String(l.error))).toEqual([]);
  const report = JSON.parse(readFileSync(join(dir, "reports", day, "breaks.json"), "utf8"));
  expect(report.breaks.map((b: { kind: string }) => b.kind)).toEqual(["MISSING_IN_OURS"]);
  const lines = mem.records;
  expect(lines.find((l) => l.msg === "reconciliation break")).toMatchObject({ level: "error", kind: "MISSING_IN_OURS", amount: "15000" });
  const listed = await alerts("?rule=RECONCILIATION_BREAK");
  expect(listed.map((a) => [a.rule, a.severity, a.account])).toEqual([["RECONCILIATION_BREAK", "high", 0]]);
  expect(listed[0]!.details).toMatchObject({ day: day, open: 1, counts: { MISSING_IN_OURS: 1 } });
  const ack = await fetch(`${http}/api/v1/alerts/${listed[0]!.id}/ack`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ note: "venue error, asked them" }) });
  expect(ack.status).toBe(200);
  // The next run is armed for the day after.
  expect(fired.length).toBe(2);
  expect(existsSync(join(dir, "reports", day, "breaks.csv"))).toBe(true);
});
