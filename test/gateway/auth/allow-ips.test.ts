/**
 * An API key's IP allowlist (`allowIps`: addresses and CIDR blocks, IPv4 and IPv6): a right proof
 * from an address outside it is refused — WebSocket NOT_PERMITTED, FIX a Logout naming the address —
 * while the same key from an allowed address logs in. A key without a list logs in from anywhere.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { OperatorError } from "../../../actors/operator-error.ts";
import { BourseClient } from "../../../client/client.ts";
import { AuthRefusal, authenticate } from "../../../gateway/auth/authenticate.ts";
import { ApiKeys } from "../../../gateway/auth/keys.ts";
import { FixInitiator } from "../../../gateway/fix/initiator.ts";
import { ErrorCode } from "../../../protocol/index.ts";
import { demoConfig, type Harness, startServer } from "../support/harness.ts";

const SECRET = "office-only-secret-0123456789";

describe("ApiKeys.allows and authenticate()", () => {
  const keys = new ApiKeys([
    { id: "office", account: 1, secret: SECRET, allowIps: ["10.0.0.0/8", "192.168.1.7", "2001:db8::/32"] },
    { id: "anywhere", account: 2, secret: SECRET },
  ]);
  const from = (keyId: string, address: string, secret = SECRET) => authenticate(keys, { keyId, proof: { kind: "secret", secret }, address });

  test("inside the list, outside it, IPv4 seen through a dual-stack socket, IPv6", () => {
    expect(from("office", "10.1.2.3")).toMatchObject({ ok: true, account: 1 });
    expect(from("office", "::ffff:192.168.1.7")).toMatchObject({ ok: true });
    expect(from("office", "2001:db8::42")).toMatchObject({ ok: true });
    expect(from("office", "192.168.1.8")).toEqual({ ok: false, refusal: AuthRefusal.ADDRESS_NOT_ALLOWED });
    expect(from("office", "")).toEqual({ ok: false, refusal: AuthRefusal.ADDRESS_NOT_ALLOWED });
    expect(from("anywhere", "8.8.8.8")).toMatchObject({ ok: true, account: 2 });
  });

  test("the address is told only to whoever holds the secret: a wrong proof from outside is just wrong", () => {
    expect(from("office", "8.8.8.8", "not-the-secret-at-all")).toEqual({ ok: false, refusal: AuthRefusal.BAD_CREDENTIALS });
  });

  test("entries that are not addresses or blocks are configuration errors", () => {
    for (const bad of [["10.0.0.0/33"], ["localhost"], ["1.2.3.4/8/1"], []]) {
      expect(() => new ApiKeys([{ id: "k", account: 1, secret: SECRET, allowIps: bad }])).toThrow(OperatorError);
    }
  });
});

describe("through the doors", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startServer(
      demoConfig((c) => {
        const dave = c.accounts!.find((a) => a.name === "dave")!;
        dave.apiKeys!.push({ id: "dave-office", secret: SECRET, allowIps: ["10.0.0.0/8"], label: "office desk" }, { id: "dave-local", secret: SECRET, allowIps: ["127.0.0.1", "::1"] });
      }),
    );
  });
  afterAll(() => h.close());

  test("WebSocket: NOT_PERMITTED from outside the list; the key allowing this address logs in", async () => {
    const c = await BourseClient.connect(h.url);
    await expect(c.login("dave-office", SECRET)).rejects.toMatchObject({ code: ErrorCode.NOT_PERMITTED });
    await c.login("dave-local", SECRET);
    c.close();
  });

  test("FIX: a Logout naming the address", async () => {
    const f = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: "DAVE-OFFICE" });
    await expect(f.logon("dave-office", SECRET)).rejects.toThrow("this API key may not log on from 127.0.0.1");
  });
});
