/**
 * GET /metrics on a real server (docs/metrics.md), with the engine on the main thread and in a
 * worker: orders over the WebSocket door (the SDK), the FIX door and the REST door move the counters by exactly
 * what was done, the exposition parses strictly, and the engine's own threads (the syncer) report.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../app/config.ts";
import { BourseExchange } from "../../app/exchange.ts";
import { serve } from "../../app/serve.ts";
import { BourseClient, RejectError } from "../../client/client.ts";
import { FixInitiator } from "../../gateway/fix/initiator.ts";
import { silentLogger } from "../../log/logger.ts";
import { signedRequest } from "../gateway/support/rest.ts";
import { parseExposition, type Scrape, seriesKey } from "./exposition-parse.ts";

const config = loadConfig(join(import.meta.dir, "../../config/demo.json"));
const secret = (name: string) => `${name}-demo-secret-do-not-use-in-production`;

for (const workers of [0, 1]) {
  describe(`/metrics with workers: ${workers}`, () => {
    let dir: string;
    let running: Awaited<ReturnType<typeof serve>>;
    let http: string;
    const clients: BourseClient[] = [];
    const fixes: FixInitiator[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "bourse-metrics-"));
      running = await serve({ dataDir: dir, config, workers, port: 0, host: "127.0.0.1", log: silentLogger });
      http = `http://127.0.0.1:${running.gateway.server.port}`;
    });
    afterAll(async () => {
      for (const c of clients) if (!c.closed) c.close();
      for (const f of fixes) f.close();
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    });

    async function scrape(): Promise<Scrape> {
      const res = await fetch(`${http}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      return parseExposition(await res.text());
    }
    const value = (s: Scrape, name: string, labels: Record<string, string> = {}) => s.series.get(seriesKey(name, labels)) ?? 0;

    async function client(name: string): Promise<BourseClient> {
      const c = await BourseClient.connect(running.gateway.url);
      clients.push(c);
      await c.login(`${name}-demo`, secret(name));
      return c;
    }

    test("orders over two doors move the counters by exactly what was done", async () => {
      const alice = await client("alice");
      const bob = await client("bob");
      const before = await scrape();

      // WebSocket: a resting sell, a resting buy below it, a post-only buy that would take (the engine
      // refuses it), a cancel of an order id that does not exist (the engine refuses it), a cancel of a
      // client order id that names no order (order entry refuses it: it never reaches the engine).
      await alice.placeOrder({ symbol: "BTC-USD", side: "sell", price: "31000", qty: "0.5" });
      await bob.placeOrder({ symbol: "BTC-USD", side: "buy", price: "30000", qty: "0.2" });
      await expect(bob.placeOrder({ symbol: "BTC-USD", side: "buy", price: "31000", qty: "0.1", postOnly: true })).rejects.toBeInstanceOf(RejectError);
      await expect(alice.cancel("BTC-USD", { orderId: 999_999 })).rejects.toBeInstanceOf(RejectError);
      await expect(alice.cancel("BTC-USD", { clientOrderId: "no-such-order" })).rejects.toBeInstanceOf(RejectError);
      // REST: one order.
      const body = JSON.stringify({ symbol: "ETH-USD", side: "buy", price: "1990", qty: "1" });
      const res = await fetch(signedRequest(http, { keyId: "alice-demo", secret: secret("alice"), method: "POST", path: "/api/v1/orders", body }));
      const answer = await res.text();
      expect({ status: res.status, answer }).toMatchObject({ status: 201 });

      // FIX: one order (a NewOrderSingle, acknowledged by an ExecutionReport).
      const fix = await FixInitiator.connect({ host: "127.0.0.1", port: running.fix!.port, senderCompId: `METRICS-${workers}` });
      fixes.push(fix);
      await fix.logon("bob-demo", secret("bob"), [[141, "Y"]]);
      fix.send([[35, "D"], [11, `m${workers}`], [55, "ETH-USD"], [54, "1"], [60, "20261125-00:00:00.000"], [38, "1"], [40, "2"], [44, "1990"], [59, "1"]]);
      expect((await fix.next("8")).get(150)).toBe("0");

      // A wrong secret: one failed login, whatever the door.
      const guesser = await BourseClient.connect(running.gateway.url);
      clients.push(guesser);
      await expect(guesser.login("alice-demo", "not-the-secret-at-all")).rejects.toBeDefined();

      const after = await scrape();
      const delta = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);
      expect(delta("bourse_commands_total", { door: "ws", command: "new_order" })).toBe(3);
      expect(delta("bourse_commands_total", { door: "ws", command: "cancel" })).toBe(2);
      expect(delta("bourse_commands_total", { door: "rest", command: "new_order" })).toBe(1);
      expect(delta("bourse_commands_total", { door: "fix", command: "new_order" })).toBe(1);
      expect(delta("bourse_order_ack_seconds_count", { door: "fix", command: "new_order" })).toBe(1);
      expect(value(after, "bourse_sessions", { door: "fix", state: "logged_in" })).toBe(1);
      expect(delta("bourse_rejects_total", { door: "ws", reason: "POST_ONLY_WOULD_TAKE" })).toBe(1);
      expect(delta("bourse_rejects_total", { door: "ws", reason: "UNKNOWN_ORDER" })).toBe(2);
      // Every reject counted is one of those three.
      const rejects = [...after.series].filter(([k]) => k.startsWith("bourse_rejects_total{")).reduce((n, [k, v]) => n + v - (before.series.get(k) ?? 0), 0);
      expect(rejects).toBe(3);
      // The engine answered the three WebSocket orders, the REST one and one cancel; the other cancel never reached it.
      expect(delta("bourse_order_ack_seconds_count", { door: "ws", command: "new_order" })).toBe(3);
      expect(delta("bourse_order_ack_seconds_count", { door: "ws", command: "cancel" })).toBe(1);
      expect(delta("bourse_order_ack_seconds_count", { door: "rest", command: "new_order" })).toBe(1);
      expect(delta("bourse_order_ack_seconds_sum", { door: "ws", command: "new_order" })).toBeGreaterThan(0);
      // The syncer thread made them durable: at least one fdatasync, covering at least the four commands.
      expect(delta("bourse_journal_fsync_seconds_count")).toBeGreaterThan(0);
      expect(delta("bourse_journal_batch_commands_sum")).toBeGreaterThanOrEqual(6);
      expect(value(after, "bourse_engine_up")).toBe(1);
      expect(value(after, "bourse_engine_workers")).toBe(workers);
      expect(value(after, "bourse_engine_last_seq")).toBeGreaterThan(value(before, "bourse_engine_last_seq"));
      expect(value(after, "bourse_sessions", { door: "ws", state: "logged_in" })).toBe(2);
      expect(value(after, "bourse_process_resident_memory_bytes")).toBeGreaterThan(0);
      expect(delta("bourse_login_failures_total")).toBe(1);
      expect(value(after, "bourse_sessions", { door: "ws", state: "anonymous" })).toBe(1);
    });

    test("every name is a bourse_ metric and carries no secret", async () => {
      const text = await (await fetch(`${http}/metrics`)).text();
      const s = parseExposition(text);
      for (const name of s.names) expect(name).toMatch(/^bourse_/);
      for (const name of s.types.keys()) expect(name).toMatch(/^bourse_[a-z0-9_]+$/);
      expect(text).not.toContain(secret("alice"));
      expect(text).not.toContain("alice-demo");
      for (const family of ["bourse_sync_queue_batches", "bourse_ring_depth_slots", "bourse_history_lag_commands", "bourse_login_failures_total", "bourse_halts_total", "bourse_event_loop_lag_seconds"]) expect(s.types.has(family)).toBe(true);
    });
  });
}

describe("/metrics turned off", () => {
  test("metrics.enabled false: /metrics is 404", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bourse-metrics-off-"));
    const running = await serve({ dataDir: dir, config: { ...config, metrics: { enabled: false } }, workers: 0, port: 0, host: "127.0.0.1", log: silentLogger });
    try {
      const res = await fetch(`http://127.0.0.1:${running.gateway.server.port}/metrics`);
      expect(res.status).toBe(404);
      await res.text();
    } finally {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const workers of [0, 1]) {
  test(`the snapshotter replica's snapshots reach /metrics (workers: ${workers})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "bourse-metrics-snap-"));
    // A snapshot every 20 commands: the seeding alone (accounts, users, keys) passes several.
    const exchange = await new BourseExchange({ dataDir: dir, config, workers, port: 0, host: "127.0.0.1", snapshotEvery: 20, log: silentLogger }).start();
    try {
      const host = exchange.engine.host;
      // Every snapshot due up to the last seq so far is on disk once this resolves.
      await host.settled();
      const due = Math.floor(host.lastSeq / 20);
      expect(due).toBeGreaterThan(0);
      const s = parseExposition(await (await fetch(`http://127.0.0.1:${exchange.gateway!.server.port}/metrics`)).text());
      expect(s.series.get(seriesKey("bourse_snapshot_seconds_count"))).toBe(due);
      expect(s.series.get(seriesKey("bourse_snapshot_last_seq"))).toBe(due * 20);
      expect(s.series.get(seriesKey("bourse_snapshot_age_seconds"))).toBeGreaterThanOrEqual(0);
      expect(s.series.get(seriesKey("bourse_data_dir_free_bytes"))).toBeGreaterThan(0);
    } finally {
      await exchange.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
