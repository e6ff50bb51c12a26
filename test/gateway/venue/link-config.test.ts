/**
 * The `venues` section (docs/venues.md): errors name the key; a routed instrument gets its venue's
 * street account; a venue only reconciled (routing: false) leaves its instruments on the local book;
 * config/broker.json (the README's broker) loads with its password's variable set, and not without.
 */
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { type BourseConfig, loadConfig, resolveVenues } from "../../../app/config.ts";
import { checkVenueLink, type VenueLinkConfig } from "../../../gateway/venue/link-config.ts";
import { demoConfig } from "../support/harness.ts";

const BROKER = join(import.meta.dir, "../../../config/broker.json");
const good: VenueLinkConfig = { account: 9, host: "127.0.0.1", port: 9878, senderCompId: "B", targetCompId: "V" };

afterEach(() => {
  delete process.env.BOURSE_DEMO_VENUE_PASSWORD;
});

test("each bad value is refused naming venues.<name>.<key>", () => {
  const bad: [Partial<VenueLinkConfig>, RegExp][] = [
    [{ account: 0 }, /^venues\.V\.account /],
    [{ port: 70_000 }, /^venues\.V\.port /],
    [{ host: "" }, /^venues\.V\.host /],
    [{ senderCompId: "has space" }, /^venues\.V\.senderCompId /],
    [{ heartBtIntSec: 0 }, /^venues\.V\.heartBtIntSec /],
    [{ feeBps: -1 }, /^venues\.V\.feeBps /],
    [{ passwordEnv: "BOURSE_TEST_UNSET_VARIABLE" }, /^venues\.V\.passwordEnv names environment variable BOURSE_TEST_UNSET_VARIABLE, which is not set$/],
    [{ marketData: { staleMs: -5 } }, /venues\.V\.marketData/],
  ];
  for (const [change, message] of bad) expect(() => checkVenueLink("V", { ...good, ...change } as VenueLinkConfig)).toThrow(message);
  expect(() => checkVenueLink("V", good)).not.toThrow();
  // Not connected: no connection needed.
  expect(() => checkVenueLink("V", { account: 9, enabled: false })).not.toThrow();
  expect(() => checkVenueLink("V", { account: 9, routing: false })).not.toThrow();
});

test("a routed instrument gets its venue's street account; an unknown venue is named; routing: false routes nothing", () => {
  const routed = demoConfig((c) => {
    c.exchange.instruments[0]!.venue = "V";
    c.venues = { V: good };
  });
  resolveVenues(routed);
  expect(routed.exchange.instruments.map((i) => i.venueAccount)).toEqual([9, undefined]);

  const unknown = demoConfig((c) => (c.exchange.instruments[1]!.venue = "NOPE"));
  expect(() => resolveVenues(unknown)).toThrow(/^exchange\.instruments\[1\]\.venue names "NOPE", which is not in the venues section$/);

  const reconciledOnly: BourseConfig = demoConfig((c) => {
    c.exchange.instruments[0]!.venue = "V";
    c.venues = { V: { account: 9, routing: false } };
  });
  resolveVenues(reconciledOnly);
  expect(reconciledOnly.exchange.instruments[0]!.venueAccount).toBeUndefined();
});

test("config/broker.json routes BTC-USD to the demo venue once its password's variable is set", () => {
  expect(() => loadConfig(BROKER)).toThrow(/venues\.DEMO-VENUE\.passwordEnv names environment variable BOURSE_DEMO_VENUE_PASSWORD, which is not set/);
  process.env.BOURSE_DEMO_VENUE_PASSWORD = "x";
  const c = loadConfig(BROKER);
  expect(c.exchange.instruments.find((i) => i.symbol === "BTC-USD")!.venueAccount).toBe(9);
  expect(c.accounts!.some((a) => a.id === 9)).toBe(true);
});
