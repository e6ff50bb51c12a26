/**
 * The first step of a graceful stop (app/exchange.ts): once order entry is closing, a new request
 * on any door is refused before it reaches the engine, in that door's own form, saying the
 * exchange is shutting down, and nothing of it is journaled. (The whole stop, SIGTERM to exit 0,
 * is test/cli/graceful-stop.test.ts.)
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseExchange } from "../../app/exchange.ts";
import { BourseClient, type ProtocolFailure } from "../../client/client.ts";
import { FixInitiator } from "../../gateway/fix/initiator.ts";
import { memoryLogger } from "../../log/memory.ts";
import { ErrorCode } from "../../protocol/index.ts";
import { demoConfig, secret } from "../gateway/support/harness.ts";
import { expectErrorShape, signedRequest } from "../gateway/support/rest.ts";

let dir: string;
let ex: BourseExchange;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "bourse-closing-"));
  ex = await new BourseExchange({ dataDir: dir, config: demoConfig(), workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: memoryLogger().log }).start();
});
afterAll(async () => {
  await ex.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("while closing: a WebSocket order gets UNAVAILABLE 'shutting down', a REST order 503 SHUTTING_DOWN, a FIX order a reject saying so; none is journaled", async () => {
  const ws = await BourseClient.connect(ex.gateway!.url);
  await ws.login("alice-demo", secret("alice"));
  const fix = await FixInitiator.connect({ host: "127.0.0.1", port: ex.fix!.port, senderCompId: "CLOSING" });
  await fix.logon("carol-demo", secret("carol"), [[141, "Y"]]);
  await ws.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2010", qty: "1", clientOrderId: "before" });
  const seq = ex.engine.host.lastSeq;

  expect(await ex.orderEntry!.close(1_000)).toBe(0);
  const failure = await ws.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2020", qty: "1", clientOrderId: "after" }).then(
    () => null,
    (e: ProtocolFailure) => e,
  );
  expect(failure?.code).toBe(ErrorCode.UNAVAILABLE);
  expect(failure?.message).toMatch(/shutting down: the request was not taken/);

  const http = `http://127.0.0.1:${ex.gateway!.server.port}`;
  const body = JSON.stringify({ symbol: "ETH-USD", side: "sell", price: "2030", qty: "1", clientOrderId: "rest-after" });
  const res = await fetch(signedRequest(http, { keyId: "bob-demo", secret: secret("bob"), method: "POST", path: "/api/v1/orders", body }));
  expect(res.headers.get("retry-after")).toBe("5");
  expect((await expectErrorShape(res, 503)).code).toBe("SHUTTING_DOWN");

  fix.send([[35, "D"], [11, "fix-after"], [55, "ETH-USD"], [54, "2"], [60, "20261125-00:00:00.000"], [38, "1"], [40, "2"], [44, "2040"], [59, "1"]]);
  const report = await fix.next("8");
  expect(report.get(150)).toBe("8");
  expect(report.get(58)).toMatch(/shutting down: orders not taken/);
  fix.close();

  // A status question still answers: it never reaches the engine.
  expect((await ws.orderStatus("ETH-USD", { clientOrderId: "before" })).clientOrderId).toBe("before");
  expect(ex.engine.host.lastSeq).toBe(seq);
  const metrics = await (await fetch(`${http}/metrics`)).text();
  expect(metrics).toContain('bourse_rejects_total{door="ws",reason="SHUTTING_DOWN"} 1');
  expect(metrics).toContain('bourse_rejects_total{door="rest",reason="SHUTTING_DOWN"} 1');
  expect(metrics).toContain('bourse_rejects_total{door="fix",reason="SHUTTING_DOWN"} 1');
  ws.close();
});
