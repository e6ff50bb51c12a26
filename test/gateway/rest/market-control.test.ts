/**
 * Halts and resumes over REST: an operator (session or the host token) halts an instrument, which
 * then refuses what must trade at once and queues what may rest, and resumes it; each is a
 * journaled HALT or RESUME with the operator as its author. An auditor, a trader and a key are
 * refused and change nothing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { JournalFollower } from "../../../actors/journal/journal-follower.ts";
import { Actor, CommandType } from "../../../engine/commands.ts";
import { expectErrorShape } from "../support/rest.ts";
import { type RestExchange, startRestExchange } from "../support/rest-exchange.ts";

let r: RestExchange;
beforeAll(async () => {
  r = await startRestExchange();
});
afterAll(() => r.stop());

const order = (body: unknown) => r.call("keyA", "POST", "/api/v1/orders", JSON.stringify(body));
/** An IOC's answer: whatever it is (filled, expired, outside the band), not SYMBOL_HALTED. */
const haltedCode = async (res: Response) => (res.status === 201 ? "accepted" : ((await res.json()) as { code: string }).code);

/** The journaled commands with these seqs: type, author (actor) and the author's id. */
async function journaled(seqs: number[]): Promise<{ seq: number; type: number; symbol: number; actor: number; session: number }[]> {
  const f = JournalFollower.open({ dataDir: r.dir, config: r.config.exchange });
  const out: { seq: number; type: number; symbol: number; actor: number; session: number }[] = [];
  try {
    f.advance(Math.max(...seqs), (seq, _t, _e, cmd) => {
      if (seqs.includes(seq)) out.push({ seq, type: cmd.type, symbol: cmd.symbol, actor: cmd.actor, session: cmd.session });
    });
  } finally {
    f.close();
  }
  return out;
}

test("an operator halts and resumes an instrument: journaled with the operator as author, and orders meet the halt", async () => {
  const halted = await r.call("operator", "POST", "/api/v1/instruments/ETH-USD/halt");
  expect(halted.status).toBe(200);
  const h = (await halted.json()) as { symbol: string; halted: boolean; seq: number };
  expect(h).toMatchObject({ symbol: "ETH-USD", halted: true });

  // While halted: an IOC is refused SYMBOL_HALTED, a GTC limit is queued.
  expect((await expectErrorShape(await order({ symbol: "ETH-USD", side: "buy", price: "2000", qty: "1", timeInForce: "ioc" }), 400)).code).toBe("SYMBOL_HALTED");
  const queued = await order({ symbol: "ETH-USD", side: "buy", price: "1900", qty: "1", clientOrderId: "halt-q" });
  expect(queued.status).toBe(201);
  // BTC-USD is not halted.
  expect(await haltedCode(await order({ symbol: "BTC-USD", side: "buy", price: "29000", qty: "0.01", timeInForce: "ioc" }))).not.toBe("SYMBOL_HALTED");

  const resumed = await r.call("host", "POST", "/api/v1/instruments/ETH-USD/resume");
  expect(resumed.status).toBe(200);
  const s = (await resumed.json()) as { halted: boolean; seq: number };
  expect(s.halted).toBe(false);
  expect(await haltedCode(await order({ symbol: "ETH-USD", side: "buy", price: "2000", qty: "1", timeInForce: "ioc" }))).not.toBe("SYMBOL_HALTED");

  const olga = r.ex.identity!.directory.identity.users.get("olga")!;
  expect(await journaled([h.seq, s.seq])).toEqual([
    { seq: h.seq, type: CommandType.HALT, symbol: 2, actor: Actor.USER, session: olga.id },
    { seq: s.seq, type: CommandType.RESUME, symbol: 2, actor: Actor.HOST, session: 0 },
  ]);
  expect(r.errors()).toEqual([]);
});

test("an operator's account command (a deposit) logs no error: only identity commands are folded into the doors' identity copy", async () => {
  expect((await r.call("operator", "POST", "/api/v1/accounts/1/deposits", JSON.stringify({ currency: "USD", amount: "1" }))).status).toBe(201);
  expect(r.errors()).toEqual([]);
});

test("auditors, traders and keys may not halt; an unknown symbol is 404; nothing is journaled for a refusal", async () => {
  const before = r.ex.engine.host.lastSeq;
  const cases: [Parameters<RestExchange["call"]>[0], string, number, string][] = [
    ["auditor", "/api/v1/instruments/ETH-USD/halt", 403, "NOT_PERMITTED"],
    ["auditor", "/api/v1/instruments/ETH-USD/resume", 403, "NOT_PERMITTED"],
    ["traderA", "/api/v1/instruments/ETH-USD/halt", 403, "NOT_PERMITTED"],
    ["keyA", "/api/v1/instruments/ETH-USD/halt", 403, "NOT_PERMITTED"],
    ["anonymous", "/api/v1/instruments/ETH-USD/halt", 401, "MISSING_CREDENTIALS"],
    ["operator", "/api/v1/instruments/NOPE-USD/halt", 404, "UNKNOWN_SYMBOL"],
  ];
  for (const [who, path, status, code] of cases) expect({ who, path, code: (await expectErrorShape(await r.call(who, "POST", path), status)).code }).toEqual({ who, path, code });
  expect(r.ex.engine.host.lastSeq).toBe(before);
  // Still trading: an IOC is not refused as halted.
  expect(await haltedCode(await order({ symbol: "ETH-USD", side: "buy", price: "2000", qty: "1", timeInForce: "ioc" }))).not.toBe("SYMBOL_HALTED");
});
