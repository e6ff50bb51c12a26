/** `bourse config check` and `bourse config reference` as an operator runs them: real files, the real process, its exit code. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bourse, DEMO_CONFIG, ROOT } from "./support.ts";

const dir = mkdtempSync(join(tmpdir(), "bourse-config-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bourse config check", () => {
  test("a good file: a summary on stdout, exit 0", () => {
    const r = bourse(["config", "check", "--config", DEMO_CONFIG]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`${DEMO_CONFIG}: ok (3 currencies, 2 instruments, 2 tiers, 4 accounts, 4 users, 0 venues)\n`);
    expect(r.code).toBe(0);
  });

  test("config/broker.json passes with its venue's password in the environment, and says which variable is missing without it", () => {
    const broker = join(ROOT, "config/broker.json");
    expect(bourse(["config", "check", "--config", broker], { env: { BOURSE_DEMO_VENUE_PASSWORD: "x" } }).code).toBe(0);
    const missing = join(dir, "broker-missing.json");
    const c = JSON.parse(readFileSync(broker, "utf8"));
    c.venues["DEMO-VENUE"].passwordEnv = "BOURSE_TEST_NOT_SET_ANYWHERE";
    writeFileSync(missing, JSON.stringify(c));
    const m = bourse(["config", "check", "--config", missing]);
    expect(m.stderr).toBe(`bourse: ${missing}: venues.DEMO-VENUE.passwordEnv names environment variable BOURSE_TEST_NOT_SET_ANYWHERE, which is not set\n`);
    expect(m.code).toBe(1);
  });

  test("a bad file: every problem, one line each naming the file and the key, exit 1", () => {
    const file = join(dir, "bad.json");
    const c = JSON.parse(readFileSync(DEMO_CONFIG, "utf8"));
    c.gateway.prot = 7070;
    c.exchange.instruments[1].tickSize = 0.05;
    c.fix.port = "9878";
    writeFileSync(file, JSON.stringify(c));
    const r = bourse(["config", "check", "--config", file]);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")).toEqual([
      `bourse: ${file}: gateway.prot: unknown key (did you mean "port"?)`,
      `bourse: ${file}: exchange.instruments[1].tickSize: expected a decimal string ("0.01"), got 0.05`,
      `bourse: ${file}: fix.port: expected an integer 0–65535, got "9878"`,
      `bourse: ${file}: 3 problems; docs/configuration.md has every key`,
      "",
    ]);
    expect(r.code).toBe(1);
  });

  test("what the keys must agree on is checked too, and a file that is not there or not JSON is one line", () => {
    const file = join(dir, "tier.json");
    const c = JSON.parse(readFileSync(DEMO_CONFIG, "utf8"));
    c.accounts[1].tier = 9;
    writeFileSync(file, JSON.stringify(c));
    const r = bourse(["config", "check", "--config", file]);
    expect(r.stderr).toStartWith(`bourse: ${file}: accounts[1].tier: account 2 (bob) names tier 9`);
    expect(r.code).toBe(1);
    expect(bourse(["config", "check", "--config", join(dir, "none.json")])).toMatchObject({ code: 1, stderr: `bourse: config file ${join(dir, "none.json")} does not exist; pass --config FILE (config/demo.json is an example)\n` });
    writeFileSync(join(dir, "torn.json"), "{");
    expect(bourse(["config", "check", "--config", join(dir, "torn.json")]).stderr).toStartWith(`bourse: config file ${join(dir, "torn.json")} is not valid JSON`);
  });

  test("it takes only its own options: another command's is a usage error, exit 2", () => {
    const r = bourse(["config", "check", "--data", dir]);
    expect(r.stderr).toBe("bourse: --data does not apply to config check (it is an option of serve, start, recover, backup, restore, journal inspect, journal verify, history status, history rebuild, history prune, statement, reconcile resolve, reconcile, user add, user list, user lock, user unlock, user reset-mfa, account open, account deposit, account tier, key create, key list, key revoke); see bourse config check --help\n");
    expect(r.code).toBe(2);
    expect(bourse(["config"]).code).toBe(2);
    expect(bourse(["config", "lint"]).stderr).toBe('bourse: unknown config subcommand "lint"; it is check or reference (bourse config --help)\n');
    expect(bourse(["config", "--help"])).toMatchObject({ code: 0 });
    expect(bourse(["config", "--help"]).stdout).toContain("usage: bourse config check [--config FILE]");
  });
});

test("bourse config reference prints docs/configuration.md, exit 0", () => {
  const r = bourse(["config", "reference"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(readFileSync(join(ROOT, "docs/configuration.md"), "utf8"));
});
