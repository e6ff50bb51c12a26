/**
 * `bourse history status|rebuild|prune` and `bourse statement`, run as an operator runs them: on a
 * data directory that `bourse start` filled (it runs without a history writer, so the store starts
 * missing and is made by rebuild).
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bourse } from "./support.ts";

const dir = mkdtempSync(join(tmpdir(), "bourse-history-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, "data");

test("status before any store, rebuild with progress, status with no lag, a statement, prune recorded and bounded by retention", () => {
  expect(bourse(["start", "--data", data, "--orders", "3000", "--no-fsync"]).code).toBe(0);
  const missing = bourse(["history", "status", "--data", data]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/no history store at .*history\.db: start the exchange .* or run bourse history rebuild/);

  const rebuilt = bourse(["history", "rebuild", "--data", data]);
  expect(rebuilt.code).toBe(0);
  expect(rebuilt.stderr).toMatch(/rebuilt through seq \d+ of \d+ \(100%, \d+ rows/);
  const status = bourse(["history", "status", "--data", data]);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/lag\s+0 commands/);
  expect(status.stdout).toMatch(/executions [1-9]\d*/);

  const csvFile = join(dir, "alice.csv");
  const st = bourse(["statement", "--data", data, "--account", "1", "--from", "2000-01-01", "--to", "2100-01-01", "--out", csvFile]);
  expect(st.code).toBe(0);
  const lines = readFileSync(csvFile, "utf8").split("\r\n");
  expect(lines[0]).toBe("time,type,currency,amount,balance,symbol,side,quantity,price,liquidity,fee,order_id,trade_id,reference");
  expect(lines.some((l) => l.includes(",deposit,USD,"))).toBe(true);
  expect(lines.some((l) => l.includes(",trade,USD,"))).toBe(true);
  expect(lines.filter((l) => l.includes(",closing_balance,")).length).toBeGreaterThan(0);

  const inside = bourse(["history", "prune", "--data", data, "--before", "2099-01-01"]);
  expect(inside.code).toBe(1);
  expect(inside.stderr).toMatch(/inside the retention period/);
  const pruned = bourse(["history", "prune", "--data", data, "--before", "2001-01-01", "--operator", "ops-test"]);
  expect(pruned.code).toBe(0);
  expect(pruned.stdout).toMatch(/pruned rows before 2001-01-01T00:00:00.000000Z \(recorded, by ops-test\): orders 0/);
  expect(bourse(["history", "status", "--data", data]).stdout).toMatch(/pruned\s+before 2001-01-01T00:00:00.000000Z by ops-test/);

  const usage = bourse(["statement", "--data", data, "--account", "1", "--from", "2020-01-01"]);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toMatch(/statement needs --account ID --from TIME --to TIME/);
  expect(bourse(["history", "frob"]).stderr).toMatch(/unknown history subcommand "frob"; it is status, rebuild or prune/);
});
