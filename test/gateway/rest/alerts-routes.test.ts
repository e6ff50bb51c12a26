/**
 * Transaction monitoring's alerts over REST on a running exchange: a burst of refused orders by
 * alice (tier 1 set to call three a burst) raises REJECT_BURST in the history writer; operators and
 * auditors list it with filters and pages; an operator acknowledges it once (a second time is 409);
 * an auditor may not acknowledge, and traders and API keys may not even list.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { BourseExchange } from "../../../app/exchange.ts";
import { type AlertsExchange, startAlertsExchange } from "../support/alerts-exchange.ts";
import { expectErrorShape } from "../support/rest.ts";

let ax: AlertsExchange;
let ex: BourseExchange;
let http: string;
let tokens: Record<string, string>;

beforeAll(async () => {
  ax = await startAlertsExchange("bourse-rest-alerts-");
  ({ ex, http, tokens } = ax);
  // Three orders far over tier 1's notional limit, refused by the engine's risk check.
  for (let i = 0; i < 3; i++) {
    const r = await alice("POST", "/orders", { symbol: "BTC-USD", side: "buy", price: "30000", qty: "500", clientOrderId: `big-${i}` });
    expect(r.status).toBeGreaterThanOrEqual(400);
  }
  expect(await ex.historyWriter!.reach(ex.engine.host.lastSeq)).toBe(true);
});
afterAll(() => ax.stop());

const alice = (method: string, path: string, body?: unknown) => ax.keyCall("alice", method, path, body);
function as(user: string, method: string, path: string, body?: string): Promise<Response> {
  return fetch(`${http}/api/v1${path}`, { method, headers: { authorization: `Bearer ${tokens[user]}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) }, ...(body !== undefined ? { body } : {}) });
}

interface AlertJson {
  id: string;
  rule: string;
  account: number;
  seq: number;
  severity: string;
  state: string;
  acknowledgedBy: string | null;
  note: string | null;
  details: Record<string, unknown>;
}

test("operators and auditors list alerts; filters by state, rule and account; pages read on", async () => {
  const all = (await (await as("olga", "GET", "/alerts")).json()) as { historySeq: number; alerts: AlertJson[]; next: string | null };
  expect(all.alerts.map((a) => [a.rule, a.account, a.state])).toEqual([["REJECT_BURST", 1, "open"]]);
  expect(all.alerts[0]!.details).toMatchObject({ count: 3 });
  expect(all.historySeq).toBeGreaterThanOrEqual(all.alerts[0]!.seq);
  const audit = (await (await as("ann", "GET", "/alerts?state=open&rule=REJECT_BURST&account=1&limit=1")).json()) as { alerts: AlertJson[] };
  expect(audit.alerts.map((a) => a.id)).toEqual([all.alerts[0]!.id]);
  expect(((await (await as("ann", "GET", "/alerts?account=2")).json()) as { alerts: unknown[] }).alerts).toEqual([]);
  expect(((await (await as("ann", "GET", "/alerts?rule=LARGE_ORDER")).json()) as { alerts: unknown[] }).alerts).toEqual([]);
  expect((await expectErrorShape(await as("olga", "GET", "/alerts?rule=NOPE"), 400)).code).toBe("INVALID_INPUT");
  expect((await expectErrorShape(await as("olga", "GET", "/alerts?cursor=bm90LWEtY3Vyc29y"), 400)).code).toBe("INVALID_INPUT");
});

test("traders and API keys may not list alerts; an auditor may not acknowledge", async () => {
  expect((await expectErrorShape(await as("tom", "GET", "/alerts"), 403)).code).toBe("NOT_PERMITTED");
  expect((await expectErrorShape(await alice("GET", "/alerts"), 403)).code).toBe("NOT_PERMITTED");
  const id = ((await (await as("olga", "GET", "/alerts")).json()) as { alerts: AlertJson[] }).alerts[0]!.id;
  expect((await expectErrorShape(await as("ann", "POST", `/alerts/${id}/ack`, "{}"), 403)).code).toBe("NOT_PERMITTED");
  expect((await expectErrorShape(await as("tom", "POST", `/alerts/${id}/ack`, "{}"), 403)).code).toBe("NOT_PERMITTED");
  expect((await expectErrorShape(await alice("POST", `/alerts/${id}/ack`, {}), 403)).code).toBe("NOT_PERMITTED");
  expect((await expectErrorShape(await fetch(`${http}/api/v1/alerts`), 401)).code).toBeString();
  // Nothing of that acknowledged it.
  expect(((await (await as("olga", "GET", "/alerts?state=acknowledged")).json()) as { alerts: unknown[] }).alerts).toEqual([]);
});

test("an operator acknowledges an alert once, with a note; a second time is 409 and changes nothing", async () => {
  const id = ((await (await as("olga", "GET", "/alerts")).json()) as { alerts: AlertJson[] }).alerts[0]!.id;
  expect((await expectErrorShape(await as("olga", "POST", "/alerts/1.2.3/ack", "{}"), 404)).code).toBe("UNKNOWN_ALERT");
  expect((await expectErrorShape(await as("olga", "POST", "/alerts/not-an-id/ack", "{}"), 404)).code).toBe("UNKNOWN_ALERT");
  expect((await expectErrorShape(await as("olga", "POST", `/alerts/${id}/ack`, "{not json"), 400)).code).toBe("BAD_JSON");
  expect((await expectErrorShape(await as("olga", "POST", `/alerts/${id}/ack`, JSON.stringify({ note: 5 })), 400)).code).toBe("INVALID_INPUT");
  const r = await as("olga", "POST", `/alerts/${id}/ack`, JSON.stringify({ note: "runaway algo, client called" }));
  expect(r.status).toBe(200);
  expect((await r.json()) as AlertJson).toMatchObject({ id, state: "acknowledged", acknowledgedBy: "user:olga", note: "runaway algo, client called" });
  const again = await expectErrorShape(await as("olga", "POST", `/alerts/${id}/ack`), 409);
  expect(again.code).toBe("CONFLICT");
  expect(again.message).toContain("user:olga");
  const acked = ((await (await as("ann", "GET", "/alerts?state=acknowledged")).json()) as { alerts: AlertJson[] }).alerts;
  expect(acked.map((a) => [a.id, a.note])).toEqual([[id, "runaway algo, client called"]]);
  expect(((await (await as("ann", "GET", "/alerts?state=open")).json()) as { alerts: unknown[] }).alerts).toEqual([]);
});
