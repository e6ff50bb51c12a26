/**
 * A venue market data flag survives a restart on the same data directory (the journal's replay,
 * and the snapshot a stop writes): a market order is still refused with its reason, and the
 * WebSocket door's first MARKET_STATUS already shows it.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Runtime } from "../../../actors/runtime.ts";
import { readRecoveredState } from "../../../actors/recovered-state.ts";
import { serve } from "../../../app/serve.ts";
import { BourseClient, RejectError } from "../../../client/client.ts";
import { Actor, CommandType, MarketDataStatus } from "../../../engine/commands.ts";
import { Reason } from "../../../engine/reasons.ts";
import { silentLogger } from "../../../log/logger.ts";
import { demoConfig, secret } from "../support/harness.ts";
import { runtimeSubmit } from "./submit.ts";

const ETH = 2;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("a flagged instrument is still flagged after a restart, on the engine and on the doors", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bourse-mdflag-"));
  dirs.push(dir);
  const start = () => serve({ dataDir: dir, config: demoConfig(), workers: 0, port: 0, host: "127.0.0.1", log: silentLogger });
  const runtimeOf = (r: Awaited<ReturnType<typeof start>>) => (r.gateway.orderEntry as unknown as { sequencer: Runtime }).sequencer;
  let running = await start();
  expect(await runtimeSubmit(runtimeOf(running))({ type: CommandType.MARKET_DATA_STATUS, symbol: ETH, tier: MarketDataStatus.STALE, actor: Actor.SYSTEM })).toEqual({ ok: true });
  await running.close();

  running = await start();
  // What the doors start from, and the guard is given as `initial`: the recovered flag.
  const recovered = readRecoveredState(runtimeOf(running).exchange, [1, ETH]);
  expect(recovered.books.map((b) => b.status?.marketData)).toEqual([MarketDataStatus.OK, MarketDataStatus.STALE]);
  const c = await BourseClient.connect(running.gateway.url);
  await c.login("alice-demo", secret("alice"));
  const status = c.marketStatus("ETH-USD");
  expect((await status.next()).value).toMatchObject({ state: "open", reason: "MARKET_DATA_STALE", reasonCode: Reason.MARKET_DATA_STALE });
  const refused = await c.placeOrder({ symbol: "ETH-USD", side: "sell", type: "market", qty: "0.1" }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(RejectError);
  expect((refused as RejectError).reasonName).toBe("MARKET_DATA_STALE");
  expect((await c.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2100", qty: "0.1" })).orderId).toBeGreaterThan(0);
  await status.return(undefined);
  c.close();
  await running.close();
});
