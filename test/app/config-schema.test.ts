/**
 * The configuration schema (app/config-schema/) as loadConfig and BourseExchange apply it: each
 * kind of mistake is one line naming the file and the key's dotted path, array indexes included;
 * the shipped configs pass; what only the keys together can say (unique ids, names that must
 * exist) names the key too.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkConfig } from "../../app/config-check.ts";
import { type BourseConfig, loadConfig } from "../../app/config.ts";
import { configProblems } from "../../app/config-validate.ts";
import { BourseExchange } from "../../app/exchange.ts";

const ROOT = join(import.meta.dir, "../..");
const demo = (): BourseConfig & Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, "config/demo.json"), "utf8"));
const dir = mkdtempSync(join(tmpdir(), "bourse-config-schema-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** The message loadConfig throws for `config` written to a file, with the file's name as it says it. */
function loadError(config: unknown): string {
  const file = join(dir, `c${n++}.json`);
  writeFileSync(file, JSON.stringify(config));
  try {
    loadConfig(file);
  } catch (e) {
    return (e as Error).message.replaceAll(file, "FILE");
  }
  throw new Error("the config loaded");
}

/** A demo config with one change. */
function withChange(change: (c: any) => void): unknown {
  const c = demo();
  change(c);
  return c;
}

describe("one error line naming the file and the key", () => {
  test("an unknown key, with the known key it is nearest to", () => {
    expect(loadError(withChange((c) => (c.gateway.prot = 7070)))).toBe('FILE: gateway.prot: unknown key (did you mean "port"?)');
    expect(loadError(withChange((c) => (c.exchange.instruments[1].tikSize = "0.05")))).toBe('FILE: exchange.instruments[1].tikSize: unknown key (did you mean "tickSize"?)');
  });

  test("an unknown key near no known one lists the keys there", () => {
    expect(loadError(withChange((c) => (c.fix.colour = "blue")))).toBe(
      "FILE: fix.colour: unknown key; the keys of fix are enabled, host, port, compId, cancelOnDisconnect, maxOrdersPerSecond, maxHeartBtIntSec, maxQueuedBytes, maxCompIdsPerKey",
    );
    expect(loadError(withChange((c) => (c.zzz = {})))).toStartWith("FILE: zzz: unknown key; the keys at the top are exchange, accounts,");
  });

  test("a wrong type", () => {
    expect(loadError(withChange((c) => (c.gateway.port = "abc")))).toBe('FILE: gateway.port: expected an integer 0–65535, got "abc"');
    expect(loadError(withChange((c) => (c.fix.cancelOnDisconnect = "yes")))).toBe('FILE: fix.cancelOnDisconnect: expected true or false, got "yes"');
  });

  test("a value not among the allowed ones", () => {
    expect(loadError(withChange((c) => (c.users[2].role = "admin")))).toBe('FILE: users[2].role: expected one of "trader", "operator", "auditor", got "admin"');
    expect(loadError(withChange((c) => (c.accounts[0].apiKeys[0].scopes = ["read", "admin"])))).toBe('FILE: accounts[0].apiKeys[0].scopes[1]: expected one of "read", "trade", "withdraw", got "admin"');
  });

  test("a number out of range, or not whole", () => {
    expect(loadError(withChange((c) => (c.gateway.port = 70000)))).toBe("FILE: gateway.port: expected an integer 0–65535, got 70000");
    expect(loadError(withChange((c) => (c.exchange.tiers[1].takerBps = 2.5)))).toBe("FILE: exchange.tiers[1].takerBps: expected an integer 0–10000, got 2.5");
    expect(loadError(withChange((c) => (c.exchange.tiers[0].monitoring = { sizeWeight: 2 })))).toBe("FILE: exchange.tiers[0].monitoring.sizeWeight: expected a number from 0.0001 to 1, got 2");
  });

  test("deep in lists and maps: the path has every index and name", () => {
    expect(loadError(withChange((c) => (c.exchange.instruments[1].tickSize = 0.05)))).toBe('FILE: exchange.instruments[1].tickSize: expected a decimal string ("0.01"), got 0.05');
    expect(loadError(withChange((c) => (c.accounts[2].positions["BTC-USD"] = ["50"])))).toBe('FILE: accounts[2].positions.BTC-USD: expected a pair of decimal strings ["quantity", "cost price"], got ["50"]');
    expect(loadError(withChange((c) => (c.venues = { V: { account: 9, marketData: { staleMs: 0 } } })))).toBe("FILE: venues.V.marketData.staleMs: expected an integer 1–86400000, got 0");
    expect(loadError(withChange((c) => (c.venues = { V: { account: 9, marketData: true } })))).toBe("FILE: venues.V.marketData: expected an object of market-data settings, or false, got true");
  });

  test("a missing key says what it takes", () => {
    expect(loadError(withChange((c) => delete c.exchange.instruments[0].symbol))).toBe("FILE: exchange.instruments[0].symbol: missing; expected a non-empty string");
    expect(loadError({ accounts: [] })).toBe("FILE: exchange: missing; expected an object");
  });

  test("a secret's value never appears, only its kind", () => {
    const message = loadError(withChange((c) => (c.accounts[0].apiKeys[0].secret = 31415926535)));
    expect(message).toBe("FILE: accounts[0].apiKeys[0].secret: expected a string of 16–42 characters, got a number");
    expect(message).not.toContain("31415926535");
    const short = loadError(withChange((c) => (c.accounts[0].apiKeys[0].secret = "hunter2")));
    expect(short).toBe("FILE: accounts[0].apiKeys[0].secret: expected a string of 16–42 characters, got a string of 7 characters");
    expect(loadError(withChange((c) => (c.users[0].password = "")))).toBe("FILE: users[0].password: expected a non-empty string, got a string of 0 characters");
    // A password put where its variable's name belongs is not echoed either.
    expect(loadError(withChange((c) => (c.venues = { V: { account: 9, passwordEnv: "s3cret pass!" } })))).toBe("FILE: venues.V.passwordEnv: expected an environment variable name, got a string of 12 characters");
    expect(loadError(withChange((c) => (c.history = { databaseUrl: 5432 })))).toBe("FILE: history.databaseUrl: expected a non-empty string, got a number");
  });

  test("several problems: the first, an unknown key first, and how many more", () => {
    const bad = withChange((c) => {
      c.gateway.port = "abc";
      c.gateway.prot = 1;
      c.users[0].role = "root";
    });
    expect(loadError(bad)).toBe('FILE: gateway.prot: unknown key (did you mean "port"?) (and 2 more problems; bourse config check --config FILE lists them)');
    expect(configProblems(bad)).toEqual(['gateway.prot: unknown key (did you mean "port"?)', 'users[0].role: expected one of "trader", "operator", "auditor", got "root"', 'gateway.port: expected an integer 0–65535, got "abc"']);
  });
});

describe("the shipped configurations", () => {
  test("config/demo.json and config/broker.json pass", () => {
    for (const f of ["config/demo.json", "config/broker.json"]) expect({ f, problems: configProblems(JSON.parse(readFileSync(join(ROOT, f), "utf8"))) }).toEqual({ f, problems: [] });
    expect(() => checkConfig(loadConfig(join(ROOT, "config/demo.json")), "demo.json")).not.toThrow();
  });

  test("a config checked again after Bourse resolved its venues (a restart in code) still passes", () => {
    const before = process.env.BOURSE_DEMO_VENUE_PASSWORD;
    process.env.BOURSE_DEMO_VENUE_PASSWORD = "x";
    try {
      const c = loadConfig(join(ROOT, "config/broker.json"));
      expect(c.exchange.instruments[0]!.venueAccount).toBe(9);
      expect(configProblems(c)).toEqual([]);
      // Written in the file, it is not a key: Bourse sets it.
      const { venue: _, ...local } = c.exchange.instruments[0]!;
      expect(configProblems({ ...c, exchange: { ...c.exchange, instruments: [local] } })).toEqual(["exchange.instruments[0].venueAccount: unknown key; the keys of exchange.instruments[0] are id, symbol, tickSize, lotSize, bandBps, referencePrice, base, quote, priceBandBps, tradeBandBps, volatilityBps, volatilityWindowUs, haltUs, calendar, dayEndUtc, venue"]);
    } finally {
      if (before === undefined) delete process.env.BOURSE_DEMO_VENUE_PASSWORD;
      else process.env.BOURSE_DEMO_VENUE_PASSWORD = before;
    }
  });
});

describe("a configuration built in code", () => {
  test("BourseExchange checks it the same way, naming the configuration or its file, before anything is opened", () => {
    const bad = withChange((c) => (c.gateway.prot = 1)) as BourseConfig;
    const dataDir = join(dir, "never-made");
    expect(() => new BourseExchange({ config: bad, dataDir, workers: 0 })).toThrow('the configuration: gateway.prot: unknown key (did you mean "port"?)');
    expect(() => new BourseExchange({ config: bad, configFile: "x.json", dataDir, workers: 0 })).toThrow('x.json: gateway.prot: unknown key (did you mean "port"?)');
  });
});

describe("what the keys must agree on names the key", () => {
  const check = (change: (c: any) => void) => {
    try {
      checkConfig(withChange(change) as BourseConfig, "c.json");
    } catch (e) {
      return (e as Error).message;
    }
    return "passed";
  };

  test("repeated ids and names", () => {
    expect(check((c) => (c.exchange.instruments[1].id = 1))).toBe("c.json: exchange.instruments[1].id: 1 is used twice (also exchange.instruments[0])");
    expect(check((c) => (c.exchange.currencies[2].code = "BTC"))).toBe('c.json: exchange.currencies[2].code: "BTC" is used twice (also exchange.currencies[1])');
    expect(check((c) => (c.accounts[3].id = 2))).toBe("c.json: accounts[3].id: account 2 is listed twice (also accounts[1])");
    expect(check((c) => (c.users[3].name = "bob"))).toBe('c.json: users[3].name: "bob" is used twice (also users[2])');
    expect(check((c) => (c.accounts[3].apiKeys[0].id = "alice-demo"))).toBe("c.json: accounts[3].apiKeys[0].id: API key id alice-demo is given to more than one account (also accounts[0].apiKeys[0])");
  });

  test("names of things the file does not define", () => {
    expect(check((c) => (c.exchange.instruments[0].quote = "EUR"))).toBe("c.json: exchange.instruments[0].quote: unknown currency EUR (exchange.currencies defines USD, BTC, ETH)");
    expect(check((c) => (c.accounts[1].tier = 9))).toStartWith("c.json: accounts[1].tier: account 2 (bob) names tier 9, which exchange.tiers does not define");
    expect(check((c) => (c.accounts[0].cash = { EUR: "1" }))).toStartWith("c.json: accounts[0].cash.EUR: account 1: unknown currency EUR");
    expect(check((c) => (c.exchange.tiers[0].maxNotional = { EUR: "1" }))).toBe("c.json: exchange.tiers[0].maxNotional.EUR: unknown currency EUR (exchange.currencies defines USD, BTC, ETH)");
  });

  test("what only the engine's construction finds, under exchange", () => {
    expect(check((c) => (c.exchange.instruments[0].tickSize = "0.0000001"))).toBe("c.json: exchange: BTC-USD: tickSize × lotSize is finer than one unit of USD (scale 6); raise the currency's scale");
  });
});
