/**
 * The one credential check both doors call (gateway/auth/authenticate.ts): grants with the account
 * and key id, and every refusal typed, for the WebSocket HMAC proof and the FIX secret alike.
 */
import { expect, test } from "bun:test";
import { AuthRefusal, authenticate, LOGIN_SKEW_US } from "../../../gateway/auth/authenticate.ts";
import { ApiKeys } from "../../../gateway/auth/keys.ts";
import { type Login, MessageType, signLogin } from "../../../protocol/index.ts";

const SECRET = "alice-secret-0123456789";
const keys = new ApiKeys([
  { id: "alice", account: 1, secret: SECRET },
  { id: "bob", account: 2, secret: "bob-secret-0123456789abc" },
]);
const NOW = 1_700_000_000_000_000;
const nonce = new Uint8Array(32).fill(7);

function login(keyId: string, secret: string, timestamp = NOW, flags = 0, signedNonce = nonce): Login {
  return { type: MessageType.LOGIN, requestId: 1, apiKeyId: keyId, timestamp, flags, signature: signLogin(secret, signedNonce, timestamp, flags, keyId) };
}
const hmac = (l: Login, now = NOW) => authenticate(keys, { keyId: l.apiKeyId, proof: { kind: "hmac", nonce, login: l, now } });
const secret = (keyId: string, s: string) => authenticate(keys, { keyId, proof: { kind: "secret", secret: s } });

test("a WebSocket login signed with the key's secret over this connection's nonce is granted its account and key id", () => {
  expect(hmac(login("alice", SECRET))).toEqual({ ok: true, account: 1, keyId: "alice", scopes: ["read", "trade"] });
  expect(hmac(login("bob", "bob-secret-0123456789abc"), NOW + LOGIN_SKEW_US)).toEqual({ ok: true, account: 2, keyId: "bob", scopes: ["read", "trade"] });
});

test("a WebSocket login is refused: wrong secret, unknown key, another key's secret, another connection's nonce, flags changed after signing", () => {
  const bad = { ok: false, refusal: AuthRefusal.BAD_CREDENTIALS } as const;
  expect(hmac(login("alice", "not-alice-secret-at-all"))).toEqual(bad);
  expect(hmac(login("carol", SECRET))).toEqual(bad);
  expect(hmac(login("alice", "bob-secret-0123456789abc"))).toEqual(bad);
  expect(hmac(login("alice", SECRET, NOW, 0, new Uint8Array(32).fill(8)))).toEqual(bad);
  expect(hmac({ ...login("alice", SECRET), flags: 1 })).toEqual(bad);
});

test("a WebSocket login whose timestamp is too far from the server's clock is refused as stale, before the key is looked at", () => {
  const stale = { ok: false, refusal: AuthRefusal.STALE_TIMESTAMP } as const;
  expect(hmac(login("alice", SECRET, NOW - LOGIN_SKEW_US - 1))).toEqual(stale);
  expect(hmac(login("alice", SECRET, NOW + LOGIN_SKEW_US + 1))).toEqual(stale);
  expect(hmac(login("nobody", SECRET, NOW + LOGIN_SKEW_US + 1))).toEqual(stale);
});

test("a FIX logon with the key's secret as its password is granted; a wrong, shorter, longer or unknown one is refused alike", () => {
  expect(secret("alice", SECRET)).toEqual({ ok: true, account: 1, keyId: "alice", scopes: ["read", "trade"] });
  expect(secret("bob", "bob-secret-0123456789abc")).toEqual({ ok: true, account: 2, keyId: "bob", scopes: ["read", "trade"] });
  const bad = { ok: false, refusal: AuthRefusal.BAD_CREDENTIALS } as const;
  for (const [id, s] of [["alice", "alice-secret-012345678X"], ["alice", SECRET.slice(0, -1)], ["alice", `${SECRET}0`], ["alice", ""], ["bob", SECRET], ["carol", SECRET]]) {
    expect(secret(id!, s!)).toEqual(bad);
  }
});
