/**
 * A revoked key on live connections: every WebSocket and FIX session logged in with it is told and
 * closed when the revocation is durable; another key's sessions carry on; the key no longer logs in.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseExchange } from "../../../app/exchange.ts";
import { BourseClient } from "../../../client/client.ts";
import { FixInitiator } from "../../../gateway/fix/initiator.ts";
import { memoryLogger } from "../../../log/memory.ts";
import { demoConfig, secret } from "../support/harness.ts";

const dir = mkdtempSync(join(tmpdir(), "bourse-revocation-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("revoking alice's key closes her WebSocket and FIX sessions at once, and only hers", async () => {
  const mem = memoryLogger();
  const ex = await new BourseExchange({ dataDir: dir, config: demoConfig(), workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: mem.log }).start();
  try {
    const ws = await BourseClient.connect(ex.gateway!.url);
    await ws.login("alice-demo", secret("alice"));
    const fix = await FixInitiator.connect({ host: "127.0.0.1", port: ex.fix!.port, senderCompId: "ALICE-REV" });
    await fix.logon("alice-demo", secret("alice"));
    const bob = await BourseClient.connect(ex.gateway!.url);
    await bob.login("bob-demo", secret("bob"));

    const logout = fix.next("5");
    const revoked = await ex.identity!.administration.revokeKey({ kind: "host" }, "alice-demo");
    expect(revoked.ok).toBe(true);
    expect(await ws.ended).toEqual({ code: 1008, reason: "API key revoked" });
    expect((await logout).get(58)).toBe("the API key was revoked");
    await fix.closed;
    expect(mem.lines().some((l) => /API key revoked key=alice-demo closedSessions=2/.test(l))).toBe(true);

    // bob trades on; alice's key is unknown on both doors from now on.
    expect(await bob.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2010", qty: "1", clientOrderId: "bob-after" })).toMatchObject({ orderId: expect.any(Number) });
    const again = await BourseClient.connect(ex.gateway!.url);
    await expect(again.login("alice-demo", secret("alice"))).rejects.toThrow();
    const fix2 = await FixInitiator.connect({ host: "127.0.0.1", port: ex.fix!.port, senderCompId: "ALICE-REV" });
    await expect(fix2.logon("alice-demo", secret("alice"), [[141, "Y"]])).rejects.toThrow();
    bob.close();
    again.close();
  } finally {
    await ex.stop();
  }
});
