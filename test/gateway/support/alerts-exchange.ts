/**
 * The exchange the alert tests share: the demo config with an operator (olga), an auditor (ann)
 * and a trader (tom, account 1), tier 1 calling three refused orders a burst, a session for each
 * user (as sign-in would start it: password + TOTP is identity-flow.test.ts's subject), and a
 * demo key's signed REST call.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseExchange } from "../../../app/exchange.ts";
import { memoryLogger } from "../../../log/memory.ts";
import { demoConfig, secret } from "./harness.ts";
import { signedRequest } from "./rest.ts";

export interface AlertsExchange {
  ex: BourseExchange;
  http: string;
  /** Bearer tokens of olga, ann and tom. */
  tokens: Record<string, string>;
  /** A session token for `name`, started at `nowMs`. */
  session(name: string, nowMs?: number): string;
  /** `<name>-demo`'s signed request to `/api/v1${path}`. */
  keyCall(name: string, method: string, path: string, body?: unknown): Promise<Response>;
  stop(): Promise<void>;
}

export async function startAlertsExchange(prefix: string): Promise<AlertsExchange> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const config = demoConfig((c) => {
    c.users = [
      { name: "olga", role: "operator", password: "olga-demo-password" },
      { name: "ann", role: "auditor", password: "ann-demo-password" },
      { name: "tom", role: "trader", accounts: [1], password: "tom-demo-password" },
    ];
    c.identity = { passwordHashing: { memoryCost: 1024, timeCost: 1, concurrency: 2 } };
    c.exchange.tiers = c.exchange.tiers.map((t) => (t.id === 1 ? { ...t, monitoring: { rejectCount: 3 } } : t));
  });
  const ex = await new BourseExchange({ dataDir: dir, config, workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: memoryLogger().log }).start();
  const http = `http://127.0.0.1:${ex.gateway!.server.port}`;
  const id = ex.identity!;
  const session = (name: string, nowMs = Date.now()) => id.sessions.create({ userId: id.directory.identity.users.get(name)!.id, user: name, address: "127.0.0.1", agent: "test", nowMs }).token;
  const tokens: Record<string, string> = {};
  for (const name of ["olga", "ann", "tom"]) tokens[name] = session(name);
  return {
    ex,
    http,
    tokens,
    session,
    keyCall: (name, method, path, body) =>
      fetch(signedRequest(http, { keyId: `${name}-demo`, secret: secret(name), method, path: `/api/v1${path}`, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })),
    async stop() {
      await ex.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
