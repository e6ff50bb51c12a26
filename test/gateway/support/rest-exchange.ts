/**
 * A whole exchange (app/exchange.ts, history included) for the REST door's tests that need every
 * kind of caller: an operator, an auditor and a trader for each of accounts 1 and 2, signed in over
 * REST with TOTP enrolled (a test clock moves between codes), the host operator's token, and the
 * demo keys (alice-demo for account 1, bob-demo for account 2).
 */
import { expect } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Secret, TOTP } from "otpauth";
import { BourseExchange } from "../../../app/exchange.ts";
import type { BourseConfig } from "../../../app/config.ts";
import { memoryLogger } from "../../../log/memory.ts";
import { demoConfig, secret } from "./harness.ts";
import { signedRequest } from "./rest.ts";

export type CallerName = "anonymous" | "keyA" | "keyB" | "traderA" | "traderB" | "operator" | "auditor" | "host";

export interface RestExchange {
  ex: BourseExchange;
  dir: string;
  config: BourseConfig;
  /** http://127.0.0.1:port */
  root: string;
  /** Session tokens by caller (and the host operator's token under "host"). */
  tokens: Record<"traderA" | "traderB" | "operator" | "auditor" | "host", string>;
  /** A fresh one-time code of a signed-in user (the test clock moves on a step first, so no code is used twice). */
  totp(who: "traderA" | "traderB" | "operator" | "auditor"): string;
  /** Any request as a caller: signed for a key, Bearer for a session, nothing for anonymous. `body` is sent as is. */
  call(who: CallerName, method: string, path: string, body?: string, contentType?: string): Promise<Response>;
  /** Error lines the exchange logged. */
  errors(): string[];
  stop(): Promise<void>;
}

const USERS: NonNullable<BourseConfig["users"]> = [
  { name: "olga", role: "operator", password: "olga-demo-password" },
  { name: "ada", role: "auditor", password: "ada-demo-password" },
  { name: "tom", role: "trader", accounts: [1], password: "tom-demo-password" },
  { name: "bea", role: "trader", accounts: [2], password: "bea-demo-password" },
];

/** fetch() gives a string body a text/plain type of its own: bytes go with no type when none is wanted. */
const bytes = (body: string, contentType: string | undefined) => (contentType === "" ? new TextEncoder().encode(body) : body);

export async function startRestExchange(change?: (c: BourseConfig) => void): Promise<RestExchange> {
  const dir = mkdtempSync(join(tmpdir(), "bourse-rest-ex-"));
  const clock = { now: Date.now() };
  const config = demoConfig((c) => {
    c.users = USERS.map((u) => ({ ...u }));
    c.identity = { passwordHashing: { memoryCost: 1024, timeCost: 1, concurrency: 2 } };
    // Fuzzing guesses wrong signatures by the hundred: keep the login guard out of the way (its own tests are elsewhere).
    c.login = { keyFailures: 1_000_000, addressFailures: 1_000_000 };
    change?.(c);
  });
  const mem = memoryLogger();
  const ex = await new BourseExchange({ dataDir: dir, config, workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: mem.log, clock: () => clock.now }).start();
  const root = `http://127.0.0.1:${ex.gateway!.server.port}`;
  const hostToken = readFileSync(join(dir, "operator.token"), "utf8").trim();

  const plain = (method: string, path: string, headers: Record<string, string>, body?: string) => fetch(root + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const secrets: Record<string, string> = {};
  const codeOf = (s: string) => new TOTP({ secret: Secret.fromBase32(s), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: clock.now });
  async function enrol(user: string, password: string): Promise<string> {
    const json = { "content-type": "application/json" };
    const login = await plain("POST", "/api/v1/auth/login", json, JSON.stringify({ user, password }));
    expect(login.status).toBe(200);
    const { enrolment } = (await login.json()) as { enrolment: { ticket: string } };
    const e = (await (await plain("POST", "/api/v1/auth/mfa/enrol", json, JSON.stringify({ ticket: enrolment.ticket }))).json()) as { secret: string };
    const totp = codeOf(e.secret);
    secrets[user] = e.secret;
    clock.now += 30_000;
    const confirm = await plain("POST", "/api/v1/auth/mfa/confirm", json, JSON.stringify({ ticket: enrolment.ticket, totp }));
    expect(confirm.status).toBe(200);
    return ((await confirm.json()) as { token: string }).token;
  }
  const tokens = { operator: await enrol("olga", "olga-demo-password"), auditor: await enrol("ada", "ada-demo-password"), traderA: await enrol("tom", "tom-demo-password"), traderB: await enrol("bea", "bea-demo-password"), host: hostToken };

  let lastTs = 0;
  return {
    ex,
    dir,
    config,
    root,
    tokens,
    totp(who) {
      clock.now += 30_000;
      return codeOf(secrets[{ traderA: "tom", traderB: "bea", operator: "olga", auditor: "ada" }[who]]!);
    },
    call(who, method, path, body, contentType) {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers["content-type"] = contentType ?? "application/json";
      if (contentType === "") delete headers["content-type"];
      if (who === "keyA" || who === "keyB") {
        // A signature is accepted once: never two in the same ms (identical requests would sign alike).
        const timestamp = (lastTs = Math.max(Date.now(), lastTs + 1));
        const key = who === "keyA" ? { keyId: "alice-demo", secret: secret("alice") } : { keyId: "bob-demo", secret: secret("bob") };
        const sendsBody = body !== undefined && method !== "GET" && method !== "HEAD";
        const req = signedRequest(root, { ...key, method, path, timestamp, ...(sendsBody ? { body } : {}), headers });
        if (contentType === "") req.headers.delete("content-type");
        return fetch(root + path, { method, headers: req.headers, ...(sendsBody ? { body: bytes(body!, contentType) } : {}) });
      }
      if (who !== "anonymous") headers.authorization = `Bearer ${tokens[who]}`;
      const sendsBody = body !== undefined && method !== "GET" && method !== "HEAD";
      return fetch(root + path, { method, headers, ...(sendsBody ? { body: bytes(body!, contentType) } : {}) });
    },
    errors: () => mem.lines().filter((l) => l.startsWith("ERROR ")),
    async stop() {
      await ex.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
