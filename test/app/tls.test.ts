/**
 * TLS on the doors (app/tls.ts): with `"tls": { "enabled": true }` the exchange makes a
 * self-signed certificate on first start (kept and reused), serves wss:// and https:// on its
 * WebSocket port and FIX over TLS on its FIX port. A client that trusts the certificate trades; a
 * plain-text FIX Logon sent to the TLS port is never read as FIX, so its password is not taken.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseExchange } from "../../app/exchange.ts";
import { doorTls } from "../../app/tls.ts";
import { OperatorError } from "../../actors/operator-error.ts";
import { BourseClient } from "../../client/client.ts";
import { FixInitiator } from "../../gateway/fix/initiator.ts";
import { memoryLogger } from "../../log/memory.ts";
import { demoConfig, secret } from "../gateway/support/harness.ts";
import { signedRequest } from "../gateway/support/rest.ts";

const dir = mkdtempSync(join(tmpdir(), "bourse-tls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("wss://, https:// and FIX over TLS with a self-signed certificate made once; a plain Logon is never read", async () => {
  const mem = memoryLogger();
  const x = await new BourseExchange({ dataDir: dir, config: demoConfig((c) => (c.tls = { enabled: true })), workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: mem.log }).start();
  try {
    expect(x.gateway!.url).toStartWith("wss://");
    const ca = readFileSync(join(dir, "tls", "cert.pem"), "utf8");
    const alice = await BourseClient.connect(x.gateway!.url, { tls: { ca } });
    await alice.login("alice-demo", secret("alice"));
    const ack = await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2010", qty: "0.1" });
    const health = await fetch(`https://127.0.0.1:${x.gateway!.server.port}/health`, { tls: { ca } });
    expect(health.status).toBe(200);
    // The REST door shares the port, so its TLS: a signed request over https.
    const me = await fetch(signedRequest(`https://127.0.0.1:${x.gateway!.server.port}`, { keyId: "alice-demo", secret: secret("alice"), path: "/api/v1/me" }), { tls: { ca } });
    expect(await me.json()).toMatchObject({ account: 1, keyId: "alice-demo" });
    // Without trusting the certificate, no connection.
    await expect(BourseClient.connect(x.gateway!.url)).rejects.toBeDefined();

    const fix = await FixInitiator.connect({ host: "127.0.0.1", port: x.fix!.port, senderCompId: "TLS-BOB", tls: { ca, serverName: "localhost" } });
    await fix.logon("bob-demo", secret("bob"), [[141, "Y"]]);
    fix.send([[35, "D"], [11, "tls-1"], [55, "ETH-USD"], [54, "1"], [38, "0.1"], [40, "2"], [44, "2010"], [59, "3"]]);
    let er = await fix.next("8");
    while (er.get(150) !== "F") er = await fix.next("8");
    expect(er.get(14)).toBe("0.10");
    await fix.logout();
    const fill = await alice.nextReport((r) => r.orderId === ack.orderId && r.leavesLots === 0);
    expect(fill.orderId).toBe(ack.orderId);
    alice.close();

    // A plain-text Logon to the TLS port: the server reads no FIX from it, so no login is attempted.
    const before = mem.lines().filter((l) => /login/.test(l)).length;
    const plain = await FixInitiator.connect({ host: "127.0.0.1", port: x.fix!.port, senderCompId: "PLAIN" });
    plain.send([[35, "A"], [98, "0"], [108, "30"], [553, "carol-demo"], [554, secret("carol")]]);
    await plain.closed;
    expect(mem.lines().filter((l) => /login/.test(l)).length).toBe(before);
  } finally {
    await x.stop();
  }
  // The certificate is kept: a second start serves the same one.
  const again = doorTls({ enabled: true }, dir)!;
  expect(again.cert).toBe(readFileSync(join(dir, "tls", "cert.pem"), "utf8"));
  expect(again.selfSigned).toBe(true);
});

test("a certificate without its key is a configuration error; no tls section is plain TCP", () => {
  expect(() => doorTls({ cert: "/nonexistent.pem" }, dir)).toThrow(OperatorError);
  expect(doorTls(undefined, dir)).toBeNull();
  expect(doorTls({ enabled: false }, dir)).toBeNull();
});
