/**
 * Halts on /metrics (docs/metrics.md): an operator halts and resumes an instrument over REST; the
 * halt counter and the halted gauge follow the delivered STATUS events.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type RestExchange, startRestExchange } from "../gateway/support/rest-exchange.ts";
import { parseExposition, seriesKey } from "./exposition-parse.ts";

let r: RestExchange;
beforeAll(async () => {
  r = await startRestExchange();
});
afterAll(() => r.stop());

async function scrape(symbol: string): Promise<{ halts: number; halted: number }> {
  const s = parseExposition(await (await fetch(`${r.root}/metrics`)).text());
  return { halts: s.series.get(seriesKey("bourse_halts_total", { symbol }))!, halted: s.series.get(seriesKey("bourse_instrument_halted", { symbol }))! };
}

test("a halt counts once and shows while it lasts; the other instrument is untouched", async () => {
  expect(await scrape("ETH-USD")).toEqual({ halts: 0, halted: 0 });
  const halted = await r.call("operator", "POST", "/api/v1/instruments/ETH-USD/halt");
  expect(halted.status).toBe(200);
  await halted.text();
  expect(await scrape("ETH-USD")).toEqual({ halts: 1, halted: 1 });
  expect(await scrape("BTC-USD")).toEqual({ halts: 0, halted: 0 });
  const resumed = await r.call("operator", "POST", "/api/v1/instruments/ETH-USD/resume");
  expect(resumed.status).toBe(200);
  await resumed.text();
  expect(await scrape("ETH-USD")).toEqual({ halts: 1, halted: 0 });
});
