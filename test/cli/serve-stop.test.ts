/**
 * `bourse serve` as a supervisor sees it: when the engine stops (here an injected fdatasync
 * failure), the order in flight is answered, the process says why in one line and exits 70, and
 * the same command on the same directory recovers every acknowledged order. No API secret is
 * ever logged: a fresh directory's first start logs the demo key ids, a restart none.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseClient, type ProtocolFailure } from "../../client/client.ts";
import { ErrorCode } from "../../protocol/index.ts";
import { bourseServe, killAll, lines } from "./support.ts";

const dirs: string[] = [];
afterAll(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SECRET = "alice-demo-secret-do-not-use-in-production";

test("an fdatasync failure: the pending order is answered, exit 70 with the reason; a restart recovers; no secret is logged", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bourse-serve-stop-"));
  dirs.push(dir);
  const args = ["--data", join(dir, "data"), "--port", "0", "--fix-port", "0"];
  // Syncs 1 and 2 are the seed (accounts, then keys), sync 3 the first order; the fourth fails.
  const first = bourseServe(args, { BOURSE_TEST_FAIL_FSYNC_AFTER: "3" });
  await first.waitFor(/"msg":"login available","key":"alice-demo"/);
  const url = (await first.waitFor(/"msg":"running".*"websocket":"(ws:[^"]+)"/))[1]!;
  expect(first.stdout).not.toContain(SECRET);

  const alice = await BourseClient.connect(url);
  await alice.login("alice-demo", SECRET);
  const kept = await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2010", qty: "1", clientOrderId: "kept" });
  let failure: ProtocolFailure | null = null;
  try {
    await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2020", qty: "1", clientOrderId: "in-flight" });
  } catch (e) {
    failure = e as ProtocolFailure;
  }
  expect(failure?.code).toBe(ErrorCode.UNAVAILABLE);
  expect(failure?.message).toMatch(/engine stopped: outcome unknown/);
  expect(await first.exited).toBe(70);
  const errors = lines(first.stderr);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/^bourse: the engine stopped \(.*fdatasync.*\); 1 requests in flight were answered ENGINE_STOPPED; exiting with code 70/);
  expect(first.stderr).not.toMatch(/^\s+at /m);
  alice.close();

  const second = bourseServe(args);
  const url2 = (await second.waitFor(/"msg":"running".*"websocket":"(ws:[^"]+)"/))[1]!;
  expect(second.stdout).not.toContain("secret-do-not-use");
  expect(second.stdout).not.toContain("login available");
  const a2 = await BourseClient.connect(url2);
  await a2.login("alice-demo", SECRET);
  expect((await a2.orderStatus("ETH-USD", { clientOrderId: "kept" })).orderId).toBe(kept.orderId);
  const health = await fetch(url2.replace("ws:", "http:").replace("/ws", "/ready"));
  expect(health.status).toBe(200);
  a2.close();
  second.child.kill("SIGTERM");
  expect(await second.exited).toBe(0);
  expect(second.stderr).toBe("");
}, 60_000);
