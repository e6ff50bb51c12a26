/**
 * The running exchange while its PostgreSQL history store is down: orders are still acknowledged
 * and traded, the writer raises the alert (an error in the log, state "down"), and once the server
 * is back the store catches up with every command — nothing lost. Down at start too: the exchange
 * starts and trades, and once the server answers the doors read finished orders from it. The server
 * is the test's own.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { SQL } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseExchange } from "../../app/exchange.ts";
import { BourseClient } from "../../client/client.ts";
import { memoryLogger } from "../../log/memory.ts";
import { demoConfig, secret, waitFor } from "../gateway/support/harness.ts";
import { OwnPostgres } from "./own-postgres.ts";

let pg: OwnPostgres;
const dir = mkdtempSync(join(tmpdir(), "bourse-history-outage-"));
const dir2 = mkdtempSync(join(tmpdir(), "bourse-history-outage-start-"));
beforeAll(async () => {
  pg = await OwnPostgres.create();
});
afterAll(() => {
  pg.remove();
  rmSync(dir, { recursive: true, force: true });
  rmSync(dir2, { recursive: true, force: true });
});

test("PostgreSQL down: trading goes on, the alert is raised; back up: the store has every command", async () => {
  const mem = memoryLogger();
  const x = await new BourseExchange({ dataDir: dir, config: demoConfig((c) => (c.history = { databaseUrl: pg.url })), workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: mem.log }).start();
  const alice = await BourseClient.connect(x.gateway!.url);
  await alice.login("alice-demo", secret("alice"));
  const bob = await BourseClient.connect(x.gateway!.url);
  await bob.login("bob-demo", secret("bob"));
  expect(await x.historyWriter!.reach(x.engine.host.lastSeq)).toBe(true);

  pg.stop();
  for (let i = 0; i < 20; i++) {
    await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2010", qty: "0.1", clientOrderId: `down-${i}` });
    await bob.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2010", qty: "0.1", tif: "IOC" });
  }
  expect(await waitFor(() => x.historyWriter!.status.state === "down", 10_000)).toBe(true);
  expect(mem.lines().some((l) => /ERROR history store unreachable: history is delayed, trading continues/.test(l))).toBe(true);
  // The URL in the alert names the server, never a password (it has none here; describeLocation masks one).
  expect(mem.lines().some((l) => /PostgreSQL postgres:\/\/postgres@127\.0\.0\.1/.test(l))).toBe(true);

  pg.start();
  expect(await x.historyWriter!.reach(x.engine.host.lastSeq, 30_000)).toBe(true);
  expect(x.historyWriter!.status.state).toBe("running");
  for (let i = 0; i < 20; i++) expect((await x.history!.orderByClientId(1, `down-${i}`))?.order.filled).toBe(10);
  expect((await x.history!.progress()).seq).toBe(x.engine.host.lastSeq);
  alice.close();
  bob.close();
  await x.stop();
}, 60_000);

test("PostgreSQL down at start: the exchange starts and trades; once the server answers, the store catches up and the doors read it", async () => {
  // A database of this data directory's own on the same server.
  const admin = new SQL(pg.url, { max: 1 });
  await admin.unsafe("CREATE DATABASE start_down");
  await admin.close();
  const url = pg.url.replace(/\/postgres$/, "/start_down");
  pg.stop();
  const mem = memoryLogger();
  const x = await new BourseExchange({ dataDir: dir2, config: demoConfig((c) => (c.history = { databaseUrl: url })), workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: mem.log }).start();
  expect(x.historyWriter!.status).toMatchObject({ state: "down" });
  expect(x.history).toBeNull();
  const alice = await BourseClient.connect(x.gateway!.url);
  await alice.login("alice-demo", secret("alice"));
  const placed = await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2010", qty: "0.1", clientOrderId: "early-1" });
  await alice.cancel("ETH-USD", { clientOrderId: "early-1" });
  pg.start();
  const reached = await x.historyWriter!.reach(x.engine.host.lastSeq, 30_000);
  expect(x.historyWriter!.status).toMatchObject({ state: "running" });
  expect(reached).toBe(true);
  expect(await waitFor(() => x.history !== null && x.orderEntry!.history !== null, 10_000)).toBe(true);
  expect((await x.history!.order(placed.orderId))?.order.state).toBe(4);
  alice.close();
  await x.stop();
}, 60_000);
