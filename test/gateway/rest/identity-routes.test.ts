/**
 * The identity and account routes over HTTP, with their denials: sign-in and enrolment, the
 * operator's actions by a session and by the host token, a trader's and a key's reach limited to
 * its own account, a key revoking itself, a concurrent session's notice, every refusal in the
 * error shape.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Secret, TOTP } from "otpauth";
import { BourseExchange } from "../../../app/exchange.ts";
import { demoConfig, secret } from "../support/harness.ts";
import { expectErrorShape, signedRequest } from "../support/rest.ts";
import { memoryLogger } from "../../../log/memory.ts";

const dir = mkdtempSync(join(tmpdir(), "bourse-rest-identity-"));
const clock = { now: Date.now() };
let ex: BourseExchange;
let base: string;
let hostToken: string;
/** Enrolled over REST before the tests; each test takes the clock to a new step before it uses a code. */
let olga: { token: string; secret: string };
let tom: { token: string; secret: string };

beforeAll(async () => {
  const config = demoConfig((c) => {
    c.users = [
      { name: "olga", role: "operator", password: "olga-demo-password" },
      { name: "tom", role: "trader", accounts: [1], password: "tom-demo-password" },
    ];
    c.identity = { passwordHashing: { memoryCost: 1024, timeCost: 1, concurrency: 2 } };
    c.exchange.destinationDelayUs = 0;
  });
  ex = await new BourseExchange({ dataDir: dir, config, workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: memoryLogger().log, clock: () => clock.now }).start();
  base = `http://127.0.0.1:${ex.gateway!.server.port}/api/v1`;
  hostToken = readFileSync(join(dir, "operator.token"), "utf8").trim();
  olga = await enrol("olga", "olga-demo-password");
  tom = await enrol("tom", "tom-demo-password");
});
afterAll(async () => {
  await ex.stop();
  rmSync(dir, { recursive: true, force: true });
});

const code = (s: string) => new TOTP({ secret: Secret.fromBase32(s), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: clock.now });
/** The next 30 s step, so the next code is fresh. */
const tick = () => (clock.now += 30_000);

async function call(method: string, path: string, o: { token?: string; body?: unknown } = {}): Promise<Response> {
  return fetch(base + path, {
    method,
    headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
}

/** Signs in a user with a password only, enrols TOTP over REST, and returns the session token and the secret. */
async function enrol(user: string, password: string): Promise<{ token: string; secret: string }> {
  const login = await call("POST", "/auth/login", { body: { user, password } });
  expect(login.status).toBe(200);
  const { enrolment } = (await login.json()) as { enrolment: { ticket: string } };
  const start = await call("POST", "/auth/mfa/enrol", { body: { ticket: enrolment.ticket } });
  const e = (await start.json()) as { secret: string; uri: string; qrSvg: string };
  expect(e.qrSvg).toContain("<svg");
  const confirm = await call("POST", "/auth/mfa/confirm", { body: { ticket: enrolment.ticket, totp: code(e.secret) } });
  expect(confirm.status).toBe(200);
  const c = (await confirm.json()) as { token: string; recoveryCodes: string[] };
  expect(c.recoveryCodes).toHaveLength(10);
  return { token: c.token, secret: e.secret };
}

describe("identity routes", () => {
  test("operators by session and by the host token; traders and keys refused; errors in shape", async () => {
    expect((await call("GET", "/users", { token: olga.token })).status).toBe(200);
    expect((await call("GET", "/users", { token: hostToken })).status).toBe(200);
    expect((await expectErrorShape(await call("GET", "/users"), 401)).code).toBe("MISSING_CREDENTIALS");
    expect((await expectErrorShape(await call("GET", "/users", { token: "not-a-session" }), 401)).code).toBe("SESSION_UNKNOWN");
    expect((await expectErrorShape(await call("GET", "/users", { token: tom.token }), 403)).code).toBe("NOT_PERMITTED");
    expect((await expectErrorShape(await call("POST", "/users", { token: tom.token, body: { name: "mallory", role: "operator" } }), 403)).code).toBe("NOT_PERMITTED");
    const signedAdd = await fetch(signedRequest(base.replace("/api/v1", ""), { keyId: "alice-demo", secret: secret("alice"), method: "POST", path: "/api/v1/users", body: JSON.stringify({ name: "mallory", role: "operator" }) }));
    expect((await expectErrorShape(signedAdd, 403)).code).toBe("NOT_PERMITTED");

    const added = await call("POST", "/users", { token: hostToken, body: { name: "eve", role: "trader", accounts: [2] } });
    expect(added.status).toBe(201);
    expect(((await added.json()) as { initialPassword: string }).initialPassword.length).toBeGreaterThanOrEqual(24);
    expect((await expectErrorShape(await call("POST", "/users", { token: olga.token, body: { name: "eve", role: "trader" } }), 409)).code).toBe("USER_EXISTS");
    expect((await expectErrorShape(await call("POST", "/users", { token: olga.token, body: { name: "Bad Name", role: "trader" } }), 400)).code).toBe("INVALID_USER_NAME");
    expect((await expectErrorShape(await call("POST", "/users", { token: olga.token, body: { name: "x", role: "king" } }), 400)).code).toBe("INVALID_INPUT");

    // Deposits: an operator's; a trader's attempt refused.
    expect((await call("POST", "/accounts/1/deposits", { token: olga.token, body: { currency: "USD", amount: "10.5" } })).status).toBe(201);
    expect((await expectErrorShape(await call("POST", "/accounts/1/deposits", { token: tom.token, body: { currency: "USD", amount: "10" } }), 403)).code).toBe("NOT_PERMITTED");
    expect((await expectErrorShape(await call("POST", "/accounts/1/deposits", { token: olga.token, body: { currency: "XXX", amount: "10" } }), 400)).code).toBe("UNKNOWN_CURRENCY");
    expect((await expectErrorShape(await call("POST", "/accounts", { token: olga.token, body: { account: 1, tier: 1 } }), 409)).code).toBe("ACCOUNT_EXISTS");
    expect((await call("POST", "/accounts", { token: olga.token, body: { account: 77, tier: 1 } })).status).toBe(201);
  });

  test("keys: a trader issues for its own account with a fresh code; a key sees and revokes only its own", async () => {
    tick();
    const login = await call("POST", "/auth/login", { body: { user: "tom", password: "tom-demo-password", totp: code(tom.secret) } });
    const session = (await login.json()) as { token: string };
    // No code: refused; another account: refused.
    expect((await expectErrorShape(await call("POST", "/keys", { token: session.token, body: { account: 1 } }), 401)).code).toBe("MFA_REQUIRED");
    tick();
    expect((await expectErrorShape(await call("POST", "/keys", { token: session.token, body: { account: 2, totp: code(tom.secret) } }), 403)).code).toBe("NOT_PERMITTED");
    tick();
    const created = await call("POST", "/keys", { token: session.token, body: { account: 1, scopes: ["read"], label: "reader", totp: code(tom.secret) } });
    expect(created.status).toBe(201);
    const k = (await created.json()) as { key: { id: string; scopes: string[] }; secret: string };
    expect(k.key.scopes).toEqual(["read"]);

    const root = base.replace("/api/v1", "");
    // alice's key lists only account 1's keys, cannot revoke bob's (as if it did not exist), can revoke itself.
    const list = (await (await fetch(signedRequest(root, { keyId: "alice-demo", secret: secret("alice"), path: "/api/v1/keys" }))).json()) as { keys: { account: number }[] };
    expect(list.keys.length).toBeGreaterThan(0);
    expect(list.keys.every((x) => x.account === 1)).toBe(true);
    expect((await expectErrorShape(await fetch(signedRequest(root, { keyId: "alice-demo", secret: secret("alice"), method: "DELETE", path: "/api/v1/keys/bob-demo" })), 404)).code).toBe("UNKNOWN_KEY");
    // A read key cannot withdraw.
    const w = await fetch(signedRequest(root, { keyId: k.key.id, secret: k.secret, method: "POST", path: "/api/v1/accounts/1/withdrawals", body: JSON.stringify({ currency: "USD", amount: "1", destination: "bank" }) }));
    expect((await expectErrorShape(w, 403)).code).toBe("NOT_PERMITTED");
    expect((await fetch(signedRequest(root, { keyId: k.key.id, secret: k.secret, method: "DELETE", path: `/api/v1/keys/${k.key.id}` }))).status).toBe(200);
    expect((await expectErrorShape(await fetch(signedRequest(root, { keyId: k.key.id, secret: k.secret, path: "/api/v1/keys" })), 401)).code).toBe("AUTH_FAILED");
  });

  test("a second session: the first is told on its next answer, lists both, and revokes the other", async () => {
    tick();
    const first = (await (await call("POST", "/auth/login", { body: { user: "tom", password: "tom-demo-password", totp: code(tom.secret) } })).json()) as { token: string; session: { id: string } };
    tick();
    const secondRes = (await (await call("POST", "/auth/login", { body: { user: "tom", password: "tom-demo-password", totp: code(tom.secret) } })).json()) as { token: string; session: { id: string }; otherSessions: { id: string }[] };
    expect(secondRes.otherSessions.map((s) => s.id)).toContain(first.session.id);
    const listed = await call("GET", "/sessions", { token: first.token });
    expect(listed.headers.get("bourse-notice")).toContain("another session of tom started");
    const ids = ((await listed.json()) as { sessions: { id: string }[] }).sessions.map((s) => s.id);
    expect(ids).toContain(secondRes.session.id);
    expect((await call("DELETE", `/sessions/${secondRes.session.id}`, { token: first.token })).status).toBe(200);
    expect((await expectErrorShape(await call("GET", "/sessions", { token: secondRes.token }), 401)).code).toBe("SESSION_REVOKED");
    // Wrong password: the one answer, and it is in the audit log for operators.
    expect((await expectErrorShape(await call("POST", "/auth/login", { body: { user: "tom", password: "wrong-password-here", totp: "123456" } }), 401)).code).toBe("AUTH_FAILED");
    const audit = (await (await call("GET", "/audit/sign-ins?subject=user:tom", { token: hostToken })).json()) as { attempts: { outcome: string; door: string }[] };
    expect(audit.attempts[0]).toMatchObject({ outcome: "bad-credentials", door: "rest" });
  });
});
