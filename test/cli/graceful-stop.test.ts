/**
 * A maintenance stop (SIGTERM, what systemd and `kill` send): the process stops taking new work,
 * answers what was in flight, cancels the orders of sessions that asked for cancel-on-disconnect
 * (docs/protocol.md, LOGIN flags) and journals those cancels, writes a snapshot at its last seq,
 * and exits 0. The next start recovers from that snapshot with nothing to replay and says how long
 * recovery took.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseClient, type ProtocolFailure } from "../../client/client.ts";
import { OrderState } from "../../engine/orders.ts";
import { bourseServe, killAll } from "./support.ts";

const dirs: string[] = [];
afterAll(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ALICE = ["alice-demo", "alice-demo-secret-do-not-use-in-production"] as const;
const BOB = ["bob-demo", "bob-demo-secret-do-not-use-in-production"] as const;
const RUNNING = /"msg":"running".*"websocket":"(ws:[^"]+)"/;

test.each([0, 1])("SIGTERM (--workers %d): in-flight answered, cancel-on-disconnect orders cancelled and journaled, a snapshot at the last seq, exit 0; the restart replays nothing", async (workers) => {
  const dir = mkdtempSync(join(tmpdir(), "bourse-graceful-"));
  dirs.push(dir);
  const data = join(dir, "data");
  const args = ["--data", data, "--port", "0", "--fix-port", "0", "--workers", String(workers)];
  const first = bourseServe(args);
  const url = (await first.waitFor(RUNNING))[1]!;

  const alice = await BourseClient.connect(url);
  await alice.login(...ALICE, { cancelOnDisconnect: true });
  const bob = await BourseClient.connect(url);
  await bob.login(...BOB);
  const cod = await alice.placeOrder({ symbol: "ETH-USD", side: "buy", price: "1900", qty: "1", clientOrderId: "cod" });
  const kept = await bob.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2100", qty: "1", clientOrderId: "kept" });

  // An order on its way as the signal arrives: it is answered, an ack or a refusal, never dropped.
  const inFlight = bob.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2200", qty: "1", clientOrderId: "in-flight" }).then(
    (ack) => ({ ok: true as const, ack }),
    (e: ProtocolFailure) => ({ ok: false as const, e }),
  );
  first.child.kill("SIGTERM");
  const answer = await inFlight;
  if (!answer.ok) expect(answer.e.message).toMatch(/shutting down/);
  expect(await first.exited).toBe(0);
  expect(first.stderr).toBe("");
  const stopped = (await first.waitFor(/"msg":"stopped"[^\n]*/))[0];
  const stoppedSeq = Number(/"seq":(\d+)/.exec(stopped)![1]);
  expect(stopped).toContain(`"snapshot":${stoppedSeq}`);
  const snaps = readdirSync(join(data, "snapshots")).filter((n) => n.endsWith(".snap"));
  expect(snaps).toContain(`snapshot-${String(stoppedSeq).padStart(20, "0")}.snap`);
  alice.close();
  bob.close();

  const second = bourseServe(args);
  const url2 = (await second.waitFor(RUNNING))[1]!;
  const recovered = (await second.waitFor(/"msg":"recovered"[^\n]*/))[0];
  expect(recovered).toContain(`"snapshotSeq":${stoppedSeq}`);
  expect(recovered).toContain(`"replayed":0`);
  expect(recovered).toMatch(/"durationMs":[\d.]+/);
  expect((await second.waitFor(RUNNING))[0]).toMatch(/"recoveryMs":[\d.]+/);
  const b2 = await BourseClient.connect(url2);
  await b2.login(...BOB);
  expect((await b2.orderStatus("ETH-USD", { clientOrderId: "kept" })).state).toBe(OrderState.NEW);
  if (answer.ok) expect((await b2.orderStatus("ETH-USD", { clientOrderId: "in-flight" })).orderId).toBe(answer.ack.orderId);
  const a2 = await BourseClient.connect(url2);
  await a2.login(...ALICE);
  const c = await a2.orderStatus("ETH-USD", { clientOrderId: "cod" });
  expect(c.orderId).toBe(cod.orderId);
  expect(c.state).toBe(OrderState.CANCELLED);
  expect(kept.orderId).toBeGreaterThan(0);
  a2.close();
  b2.close();
  second.child.kill("SIGTERM");
  expect(await second.exited).toBe(0);
}, 60_000);
