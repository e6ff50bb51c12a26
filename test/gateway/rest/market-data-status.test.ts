/**
 * An operator sets an instrument's venue market data status by hand over REST (docs/venues.md):
 * PUT /instruments/{symbol}/market-data journals MARKET_DATA_STATUS with the operator as author;
 * while flagged, a market order is refused over REST with the reason as its code and a limit is
 * taken; `ok` clears it. Auditors, traders and keys are refused, a bad status is 400, and a
 * refusal journals nothing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { JournalFollower } from "../../../actors/journal/journal-follower.ts";
import { Actor, CommandType, MarketDataStatus } from "../../../engine/commands.ts";
import { expectErrorShape } from "../support/rest.ts";
import { type RestExchange, startRestExchange } from "../support/rest-exchange.ts";

let r: RestExchange;
beforeAll(async () => {
  r = await startRestExchange();
});
afterAll(() => r.stop());

const order = (body: unknown) => r.call("keyA", "POST", "/api/v1/orders", JSON.stringify(body));
const setStatus = (who: Parameters<RestExchange["call"]>[0], status: unknown, symbol = "ETH-USD") => r.call(who, "PUT", `/api/v1/instruments/${symbol}/market-data`, JSON.stringify({ status }));

test("an operator flags and clears an instrument's market data: REST refuses market orders with the reason meanwhile", async () => {
  const flagged = await setStatus("operator", "bad_tick");
  expect(flagged.status).toBe(200);
  const f = (await flagged.json()) as { symbol: string; status: string; seq: number };
  expect(f).toMatchObject({ symbol: "ETH-USD", status: "bad_tick" });

  const refused = await expectErrorShape(await order({ symbol: "ETH-USD", side: "buy", type: "market", qty: "0.1" }), 400);
  expect(refused.code).toBe("MARKET_DATA_BAD_TICK");
  expect(refused.message).toContain("limit orders are accepted");
  expect((await order({ symbol: "ETH-USD", side: "buy", price: "1900", qty: "0.1" })).status).toBe(201);
  expect((await expectErrorShape(await order({ symbol: "ETH-USD", side: "sell", type: "stop", stopPrice: "1800", qty: "0.1" }), 400)).code).toBe("MARKET_DATA_BAD_TICK");

  const cleared = await setStatus("host", "ok");
  expect(cleared.status).toBe(200);
  const c = (await cleared.json()) as { status: string; seq: number };
  expect(c.status).toBe("ok");
  const res = await order({ symbol: "ETH-USD", side: "buy", type: "market", qty: "0.1" });
  if (res.status !== 201) expect(((await res.json()) as { code: string }).code).not.toStartWith("MARKET_DATA");

  const olga = r.ex.identity!.directory.identity.users.get("olga")!;
  const seen: { type: number; tier: number; actor: number; session: number }[] = [];
  const jf = JournalFollower.open({ dataDir: r.dir, config: r.config.exchange });
  try {
    jf.advance(c.seq, (seq, _t, _e, cmd) => {
      if (seq === f.seq || seq === c.seq) seen.push({ type: cmd.type, tier: cmd.tier, actor: cmd.actor, session: cmd.session });
    });
  } finally {
    jf.close();
  }
  expect(seen).toEqual([
    { type: CommandType.MARKET_DATA_STATUS, tier: MarketDataStatus.BAD_TICK, actor: Actor.USER, session: olga.id },
    { type: CommandType.MARKET_DATA_STATUS, tier: MarketDataStatus.OK, actor: Actor.HOST, session: 0 },
  ]);
  expect(r.errors()).toEqual([]);
});

test("auditors, traders and keys may not; a bad status is 400, an unknown symbol 404; nothing is journaled", async () => {
  const before = r.ex.engine.host.lastSeq;
  const cases: [Parameters<RestExchange["call"]>[0], unknown, string, number, string][] = [
    ["auditor", "stale", "ETH-USD", 403, "NOT_PERMITTED"],
    ["traderA", "stale", "ETH-USD", 403, "NOT_PERMITTED"],
    ["keyA", "stale", "ETH-USD", 403, "NOT_PERMITTED"],
    ["operator", "frozen", "ETH-USD", 400, "INVALID_INPUT"],
    ["operator", 1, "ETH-USD", 400, "INVALID_INPUT"],
    ["operator", "stale", "NOPE-USD", 404, "UNKNOWN_SYMBOL"],
  ];
  for (const [who, status, symbol, http, code] of cases) expect({ who, status, code: (await expectErrorShape(await setStatus(who, status, symbol), http)).code }).toEqual({ who, status, code });
  expect(r.ex.engine.host.lastSeq).toBe(before);
});
