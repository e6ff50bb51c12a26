/**
 * `bourse user|account|key` against a running `bourse serve`, as an operator at the host uses
 * them: through the exchange's HTTP API with the operator token from its data directory.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseClient } from "../../client/client.ts";
import { bourse, bourseServe, killAll } from "./support.ts";

const dir = mkdtempSync(join(tmpdir(), "bourse-operator-cli-"));
const data = join(dir, "data");
let url = "";
let ws = "";
let server: ReturnType<typeof bourseServe>;

beforeAll(async () => {
  server = bourseServe(["--data", data, "--port", "0", "--fix-port", "0"]);
  const m = await server.waitFor(/"msg":"running".*"websocket":"(ws:[^"]+)".*"http":"(http:[^"]+)"/);
  ws = m[1]!;
  url = m[2]!;
});
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

const op = (...args: string[]) => bourse([...args, "--data", data, "--url", url]);

test("users: the demo's are listed; one is added with a one-time password, locked and unlocked", () => {
  const list = op("user", "list");
  expect(list.code).toBe(0);
  expect(list.stdout).toMatch(/operator\s+operator/);
  expect(list.stdout).toMatch(/alice\s+trader\s+1/);
  const added = op("user", "add", "--name", "erin", "--role", "trader", "--accounts", "3");
  expect(added.code).toBe(0);
  expect(added.stdout).toMatch(/^initial password: [A-Za-z0-9_-]{24}$/m);
  expect(op("user", "lock", "--name", "erin").stdout).toContain("erin locked");
  expect(op("user", "unlock", "--name", "erin").stdout).toContain("erin unlocked");
  expect(op("user", "reset-mfa", "--name", "erin").code).toBe(0);
  const unknown = op("user", "lock", "--name", "nobody");
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toBe("bourse: UNKNOWN_USER: unknown user\n");
  expect(op("user", "add", "--name", "erin").stderr).toContain("user add needs --name, --role");
});

test("accounts: opened, funded and moved to another tier while the exchange runs", () => {
  expect(op("account", "open", "--account", "42", "--tier", "1").stdout).toBe("account 42 opened (tier 1)\n");
  expect(op("account", "deposit", "--account", "42", "--currency", "USD", "--amount", "1000.25").stdout).toMatch(/^deposit of 1000.25 USD credited to account 42 \(seq \d+\)\n$/);
  expect(op("account", "tier", "--account", "42", "--tier", "2").stdout).toBe("account 42 is on tier 2\n");
  const dup = op("account", "open", "--account", "42", "--tier", "1");
  expect([dup.code, dup.stderr]).toEqual([1, "bourse: ACCOUNT_EXISTS: account already exists\n"]);
});

test("keys: created with its secret shown once, logs in over WebSocket, revoked (the live session is closed)", async () => {
  const created = op("key", "create", "--account", "42", "--scopes", "read,trade", "--label", "desk bot");
  expect(created.code).toBe(0);
  const id = /key (k_[A-Za-z0-9_-]+) for account 42/.exec(created.stdout)![1]!;
  const keySecret = /^secret: (\S+)$/m.exec(created.stdout)![1]!;
  expect(op("key", "list", "--account", "42").stdout).toMatch(new RegExp(`${id}\\s+42\\s+read,trade\\s+any\\s+desk bot\\s+live`));
  const client = await BourseClient.connect(ws);
  await client.login(id, keySecret);
  expect(op("key", "revoke", "--key", id).code).toBe(0);
  expect((await client.ended).reason).toBe("API key revoked");
  expect(op("key", "list", "--account", "42").stdout).toMatch(new RegExp(`${id}.*revoked`));
  // The secret is in no log line.
  expect(server.stdout).not.toContain(keySecret);
});

test("without a running exchange on the directory: one line saying so", () => {
  const r = bourse(["user", "list", "--data", join(dir, "elsewhere")]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^bourse: no running exchange holds .*elsewhere .*operator\.token is missing/);
  expect(existsSync(join(data, "operator.token"))).toBe(true);
});
