/**
 * Fail loudly, never half-alive: when the engine stops (a failed fdatasync, a command that throws)
 * every request in flight is answered on its own door, /health and /ready answer 503 with the
 * reason, the sessions are closed, `stopped` resolves (bin/bourse.ts then exits 70), and a restart
 * on the same directory recovers what was acknowledged.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { Runtime } from "../../actors/runtime.ts";
import { CommandType } from "../../engine/commands.ts";
import { BourseClient, ProtocolFailure } from "../../client/client.ts";
import { FixInitiator } from "../../gateway/fix/initiator.ts";
import { ErrorCode } from "../../protocol/index.ts";
import { memoryLogger } from "../../log/memory.ts";
import { serve, type ServeOptions } from "../../app/serve.ts";
import { TempDirs } from "../actors/temp-dirs.ts";
import { demoConfig, secret } from "./support/harness.ts";

const dirs = new TempDirs("bourse-stop-");
afterAll(() => dirs.removeAll());
const tempDir = (): string => dirs.make();

const start = (dir: string, workers: number, extra: Partial<ServeOptions> = {}) => serve({ dataDir: dir, config: demoConfig(), workers, port: 0, host: "127.0.0.1", log: memoryLogger().log, ...extra });

async function http(base: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(base + path);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

/** What a pending placeOrder settled with: the ack's order id, or the failure's code and text. */
async function outcome(p: Promise<{ orderId: number }>): Promise<{ ok: number } | { code: number; message: string }> {
  try {
    return { ok: (await p).orderId };
  } catch (e) {
    return { code: (e as ProtocolFailure).code ?? -1, message: (e as Error).message };
  }
}

describe.each([0, 1])("workers %d", (workers) => {
  test("a failed fdatasync: both doors' requests in flight are answered, /health and /ready 503, restart recovers the acknowledged orders", async () => {
    const dir = tempDir();
    // The seed's two group commits (accounts, then keys and users) are the syncs that succeed; each
    // sync waits 300 ms, so the two orders below are both written and waiting when the third fails.
    const running = await start(dir, workers, { syncerFaults: { failAfter: 2, delayMs: 300 } });
    const base = `http://127.0.0.1:${running.gateway.server.port}`;
    expect((await http(base, "/health")).status).toBe(200);
    expect(await http(base, "/ready")).toMatchObject({ status: 200, body: { status: "ready" } });

    const alice = await BourseClient.connect(running.gateway.url);
    await alice.login("alice-demo", secret("alice"));
    const fix = await FixInitiator.connect({ host: "127.0.0.1", port: running.fix!.port, senderCompId: "STOP-B" });
    await fix.logon("bob-demo", secret("bob"));

    const ws = outcome(alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2010", qty: "1", clientOrderId: "lost-ws" }));
    fix.send([[35, "D"], [11, "lost-fix"], [55, "ETH-USD"], [54, "1"], [60, "20261125-00:00:00.000"], [38, "1"], [40, "2"], [44, "1990"]]);

    const stop = await running.stopped;
    expect(stop.reason).toMatch(/fdatasync|EIO/);
    expect(stop.answered).toBe(2);
    const answer = await ws;
    expect(answer).toMatchObject({ code: ErrorCode.UNAVAILABLE });
    expect((answer as { message: string }).message).toMatch(/engine stopped: outcome unknown/);
    const er = await fix.next("8");
    expect(Object.fromEntries([11, 39, 150].map((t) => [t, er.get(t)]))).toEqual({ 11: "lost-fix", 39: "8", 150: "8" });
    expect(er.get(58)).toMatch(/engine stopped: outcome unknown/);
    // The FIX session is logged out with the reason.
    const logout = await fix.next("5");
    expect(logout.get(58)).toMatch(/engine stopped/);

    for (const path of ["/health", "/ready"]) {
      const r = await http(base, path);
      expect(r.status).toBe(503);
      expect(r.body.status).toBe("stopped");
      expect(String(r.body.reason)).toMatch(/fdatasync|EIO/);
    }
    fix.close();
    alice.close();
    await running.close();

    // The restart recovers the seed (acknowledged); neither unacknowledged order was durable.
    const again = await start(dir, workers);
    const a2 = await BourseClient.connect(again.gateway.url);
    await a2.login("alice-demo", secret("alice"));
    expect(await outcome(a2.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2010", qty: "1", clientOrderId: "after" }))).toMatchObject({ ok: expect.any(Number) });
    expect((await http(`http://127.0.0.1:${again.gateway.server.port}`, "/ready")).status).toBe(200);
    a2.close();
    await again.close();
  }, 30_000);
});

test("a command that throws: its request is answered, /health and /ready 503, restart recovers without it", async () => {
  const dir = tempDir();
  const running = await start(dir, 0);
  const base = `http://127.0.0.1:${running.gateway.server.port}`;
  const alice = await BourseClient.connect(running.gateway.url);
  await alice.login("alice-demo", secret("alice"));
  const kept = await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2010", qty: "1", clientOrderId: "kept" });

  // An engine bug on one particular command.
  const runtime = (running.gateway.orderEntry as unknown as { sequencer: Runtime }).sequencer;
  const execute = runtime.exchange.execute.bind(runtime.exchange);
  runtime.exchange.execute = (cmd, out) => {
    if (cmd.type === CommandType.NEW_ORDER && cmd.clientOrderId === "boom") throw new Error("engine bug (test)");
    execute(cmd, out);
  };
  const boom = await outcome(alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2020", qty: "1", clientOrderId: "boom" }));
  expect(boom).toMatchObject({ code: ErrorCode.UNAVAILABLE });
  expect((boom as { message: string }).message).toMatch(/engine stopped/);
  const stop = await running.stopped;
  expect(stop.reason).toMatch(/engine bug \(test\)/);
  expect(stop.answered).toBe(1);
  expect(await http(base, "/health")).toMatchObject({ status: 503, body: { status: "stopped" } });
  expect(await http(base, "/ready")).toMatchObject({ status: 503, body: { status: "stopped" } });
  alice.close();
  await running.close();

  const again = await start(dir, 0);
  const a2 = await BourseClient.connect(again.gateway.url);
  await a2.login("alice-demo", secret("alice"));
  expect((await a2.orderStatus("ETH-USD", { clientOrderId: "kept" })).orderId).toBe(kept.orderId);
  await expect(a2.orderStatus("ETH-USD", { clientOrderId: "boom" })).rejects.toThrow(/UNKNOWN_ORDER/);
  a2.close();
  await again.close();
}, 30_000);
