/**
 * What serve() says at start: the demo secrets only on a fresh data directory, a warning naming
 * config accounts that a recovered directory does not have, and a config error (an unknown tier)
 * before anything is opened.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { OperatorError } from "../../actors/operator-error.ts";
import { serve } from "../../app/serve.ts";
import { memoryLogger } from "../../log/memory.ts";
import { TempDirs } from "../actors/temp-dirs.ts";
import { demoConfig } from "./support/harness.ts";

const dirs = new TempDirs("bourse-serve-start-");
afterAll(() => dirs.removeAll());
const tempDir = (): string => dirs.make();

test("no secret is ever logged: a fresh directory logs the demo key ids; a restart logs none and names missing config accounts", async () => {
  const dir = tempDir();
  const firstLog = memoryLogger();
  await (await serve({ dataDir: dir, config: demoConfig(), workers: 0, port: 0, host: "127.0.0.1", log: firstLog.log })).close();
  const first = firstLog.lines();
  expect(first.join("\n")).not.toContain("secret-do-not-use");
  expect(first.filter((l) => l.startsWith("INFO login available key="))).toHaveLength(4);

  // Erin is added to the config after the directory was seeded: she is not opened by a restart.
  const withErin = demoConfig((c) => c.accounts!.push({ id: 9, name: "erin", tier: 1, cash: { USD: "100" }, apiKeys: [{ id: "erin-demo", secret: "erin-secret-0123456789" }] }));
  const secondLog = memoryLogger();
  await (await serve({ dataDir: dir, config: withErin, configFile: "erin.json", workers: 1, port: 0, host: "127.0.0.1", log: secondLog.log })).close();
  const second = secondLog.lines();
  expect(second.join("\n")).not.toMatch(/secret-do-not-use|erin-secret/);
  expect(second.filter((l) => l.startsWith("INFO login available"))).toHaveLength(0);
  expect(second).toContain("WARN " + `warning: erin.json names accounts 9 (erin) that ${dir} does not have: accounts are opened only on a fresh data directory, so their orders will be rejected UNKNOWN_ACCOUNT`);
}, 30_000);

test("a config naming an unknown tier is refused before the data directory is opened", async () => {
  const dir = join(tempDir(), "never");
  const bad = demoConfig((c) => (c.accounts![2]!.tier = 7));
  const started = serve({ dataDir: dir, config: bad, configFile: "bad.json", workers: 0, port: 0, host: "127.0.0.1", log: memoryLogger().log });
  await expect(started).rejects.toBeInstanceOf(OperatorError);
  await expect(started).rejects.toThrow("bad.json: accounts[2].tier: account 3 (carol) names tier 7, which exchange.tiers does not define (it defines 1, 2); fix the account's tier or add the tier");
  const shortSecret = demoConfig((c) => (c.accounts![0]!.apiKeys![0]!.secret = "short"));
  await expect(serve({ dataDir: dir, config: shortSecret, configFile: "keys.json", workers: 0, port: 0, log: memoryLogger().log })).rejects.toThrow("keys.json: accounts[0].apiKeys[0].secret: expected a string of 16–42 characters, got a string of 5 characters");
  const badIp = demoConfig((c) => (c.accounts![1]!.apiKeys![0]!.allowIps = ["10.0.0.0/8", "10.0.0.300"]));
  await expect(serve({ dataDir: dir, config: badIp, configFile: "keys.json", workers: 0, port: 0, log: memoryLogger().log })).rejects.toThrow('keys.json: accounts[1].apiKeys[0]: API key bob-demo: allowIps entry "10.0.0.300" is not an IPv4 or IPv6 address or CIDR block');
  expect(existsSync(dir)).toBe(false);
});
