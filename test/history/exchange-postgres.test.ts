/**
 * The running exchange with its history in PostgreSQL (history.databaseUrl, or DATABASE_URL): the
 * writer's worker writes through Bun.sql, and after a restart a finished order's status comes
 * from the PostgreSQL store. The store's location: DATABASE_URL picks PostgreSQL, without it SQLite.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseExchange } from "../../app/exchange.ts";
import { BourseClient } from "../../client/client.ts";
import { OrderState } from "../../engine/order-state.ts";
import { describeLocation, storeLocation } from "../../history/config.ts";
import { silentLogger } from "../../log/logger.ts";
import { demoConfig, secret } from "../gateway/support/harness.ts";
import { throwawayDatabase } from "./throwaway-db.ts";

const dbs: { url: string; drop(): Promise<void> }[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const db of dbs) await db.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("where the store is: DATABASE_URL or history.databaseUrl picks PostgreSQL; a logged URL hides its password", () => {
  expect(storeLocation("/d", undefined, {})).toEqual({ kind: "sqlite", file: "/d/history.db" });
  expect(storeLocation("/d", { file: "h.sqlite" }, {})).toEqual({ kind: "sqlite", file: "/d/h.sqlite" });
  expect(storeLocation("/d", undefined, { DATABASE_URL: "postgres://u@h/x" })).toEqual({ kind: "postgres", url: "postgres://u@h/x" });
  expect(storeLocation("/d", { databaseUrl: "postgres://a@b/c" }, { DATABASE_URL: "postgres://u@h/x" })).toEqual({ kind: "postgres", url: "postgres://a@b/c" });
  expect(describeLocation({ kind: "postgres", url: "postgres://u:hunter2@h:5432/x" })).toBe("PostgreSQL postgres://u:***@h:5432/x");
});

describe.each([0, 1])("workers %d", (workers) => {
  test("trades go to PostgreSQL; after a restart a finished order's status comes from it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bourse-history-pg-"));
    dirs.push(dir);
    const db = await throwawayDatabase();
    dbs.push(db);
    const config = demoConfig((c) => (c.history = { databaseUrl: db.url }));
    const start = () => new BourseExchange({ dataDir: dir, config, workers, port: 0, fixPort: 0, host: "127.0.0.1", log: silentLogger }).start();
    let x = await start();
    let alice = await BourseClient.connect(x.gateway!.url);
    await alice.login("alice-demo", secret("alice"));
    const bob = await BourseClient.connect(x.gateway!.url);
    await bob.login("bob-demo", secret("bob"));
    await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2010", qty: "0.1", clientOrderId: "pg-1" });
    await bob.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2010", qty: "0.1", tif: "IOC" });
    expect(await x.historyWriter!.reach(x.engine.host.lastSeq)).toBe(true);
    expect(x.history!.backend).toBe("postgres");
    expect((await x.history!.orderByClientId(1, "pg-1"))?.order.state).toBe(OrderState.FILLED);
    alice.close();
    bob.close();
    await x.stop();

    x = await start();
    alice = await BourseClient.connect(x.gateway!.url);
    await alice.login("alice-demo", secret("alice"));
    const st = await alice.orderStatus("ETH-USD", { clientOrderId: "pg-1" });
    expect({ state: st.state, filled: st.filledLots }).toEqual({ state: OrderState.FILLED, filled: 10 });
    alice.close();
    await x.stop();
  });
});
