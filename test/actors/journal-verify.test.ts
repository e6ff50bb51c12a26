/**
 * `bourse journal verify --replay` on a journal shorter than the hash interval says why it
 * compared no hash, instead of a bare "0 recorded hashes checked".
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, seedCommands } from "../../app/config.ts";
import { journalVerify } from "../../cli/journal-tools.ts";
import { Runtime } from "../../actors/runtime.ts";

const config = loadConfig(join(import.meta.dir, "../../config/demo.json"));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs `fn` with console.log and process.stderr.write captured. */
function captured(fn: () => number): { code: number; out: string } {
  const lines: string[] = [];
  const log = console.log;
  const err = process.stderr.write;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return { code: fn(), out: lines.join("\n") };
  } finally {
    console.log = log;
    process.stderr.write = err;
  }
}

test("verify --replay of a journal with no hash line yet explains the hash interval", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bourse-verify-"));
  dirs.push(dir);
  const rt = Runtime.start({ config: config.exchange, dataDir: dir, fsync: false });
  for (const c of seedCommands(config)) rt.submit(c);
  rt.flush();
  const last = rt.lastSeq;
  await rt.close();

  const { code, out } = captured(() => journalVerify(dir, config.exchange, true));
  expect(code).toBe(0);
  expect(out).toContain(`replayed to seq ${last}; 0 recorded hashes checked, all match`);
  expect(out).toContain("no state hash to compare: the server records one every hashEvery commands (100,000 by default");
  expect(out).toContain(`this journal ends at seq ${last} and there is no hashes.log yet`);
});
