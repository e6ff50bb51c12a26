/**
 * The composition root (app/exchange.ts): the parts in their order, started in that order and
 * stopped in reverse, and a start that fails half-way stops what had started (the data directory
 * is released, so a second start on it works).
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseExchange, type ExchangeOptions, type Part } from "../../app/exchange.ts";
import { silentLogger } from "../../log/logger.ts";
import { demoConfig } from "../gateway/support/harness.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function options(extra: Partial<ExchangeOptions> = {}): ExchangeOptions {
  const dataDir = mkdtempSync(join(tmpdir(), "bourse-exchange-"));
  dirs.push(dataDir);
  return { dataDir, config: demoConfig(), workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: silentLogger, ...extra };
}

/** Wraps every part so its start and stop are recorded, in the order they happen. */
function record(exchange: BourseExchange): string[] {
  const seen: string[] = [];
  exchange.parts.forEach((p, i) => {
    const wrapped: Part = {
      name: p.name,
      start: async () => {
        await p.start();
        seen.push(`start ${p.name}`);
      },
      stop: async () => {
        seen.push(`stop ${p.name}`);
        await p.stop();
      },
    };
    exchange.parts[i] = wrapped;
  });
  return seen;
}

const ALL = ["engine", "accounts", "identity", "history", "order entry", "market data", "health", "metrics", "websocket", "fix", "revocations", "engine stop", "reconciliation"];

test("the parts: the engine first, the doors after what they use; FIX only when the config has it; no doors for tools", () => {
  expect(new BourseExchange(options()).parts.map((p) => p.name)).toEqual(ALL);
  expect(new BourseExchange(options({ config: demoConfig((c) => (c.fix = { enabled: false })) })).parts.map((p) => p.name)).toEqual(ALL.filter((n) => n !== "fix"));
  expect(new BourseExchange(options({ doors: false })).parts.map((p) => p.name)).toEqual(["engine", "accounts", "identity"]);
  // The end-of-day reconciliation reads the history store: none without it, none when the config turns it off.
  expect(new BourseExchange(options({ config: demoConfig((c) => (c.history = { enabled: false })) })).parts.map((p) => p.name)).toEqual(ALL.filter((n) => n !== "history" && n !== "reconciliation"));
  expect(new BourseExchange(options({ config: demoConfig((c) => (c.reconcile = { enabled: false })) })).parts.map((p) => p.name)).toEqual(ALL.filter((n) => n !== "reconciliation"));
  expect(new BourseExchange(options({ config: demoConfig((c) => (c.metrics = { enabled: false })) })).parts.map((p) => p.name)).toEqual(ALL.filter((n) => n !== "metrics"));
});

test("parts start in order and stop in reverse; the running exchange serves /ready and has seeded the accounts", async () => {
  const exchange = new BourseExchange(options());
  const seen = record(exchange);
  await exchange.start();
  expect(seen).toEqual(ALL.map((n) => `start ${n}`));
  expect(exchange.fresh).toBe(true);
  expect(exchange.engine.host.lastSeq).toBeGreaterThan(0);
  const ready = await fetch(`http://127.0.0.1:${exchange.gateway!.server.port}/ready`);
  expect(ready.status).toBe(200);
  seen.length = 0;
  await exchange.stop();
  expect(seen).toEqual([...ALL].reverse().map((n) => `stop ${n}`));
});

test("a part that fails to start stops the ones before it, in reverse, and releases the data directory", async () => {
  const o = options({ workers: 1 });
  const exchange = new BourseExchange(o);
  const at = exchange.parts.findIndex((p) => p.name === "websocket");
  exchange.parts.splice(at, 0, {
    name: "broken",
    start: () => {
      throw new Error("broken part");
    },
    stop: () => {},
  });
  const seen = record(exchange);
  await expect(exchange.start()).rejects.toThrow("broken part");
  expect(seen).toEqual([...ALL.slice(0, 8).map((n) => `start ${n}`), ...ALL.slice(0, 8).reverse().map((n) => `stop ${n}`)]);
  // Stopped cleanly: the directory is free and was seeded once, so the next start is not fresh.
  const again = await new BourseExchange({ ...o, workers: 0 }).start();
  expect(again.fresh).toBe(false);
  await again.stop();
});
