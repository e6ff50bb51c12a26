/**
 * `bourse start|serve --log-format json|pretty --log-level L --debug` (docs/logging.md): JSON lines
 * when stdout is not a terminal, pretty lines on request, levels filtered, bad values refused.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "bourse-logflags-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `bourse start --orders 0` (recover and report) with `flags`; stdout is a pipe, not a terminal. */
async function start(...flags: string[]): Promise<{ out: string; err: string; code: number }> {
  const child = Bun.spawn([process.execPath, join(ROOT, "bin/bourse.ts"), "start", "--data", join(dir, "data"), "--orders", "0", ...flags], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { out, err, code };
}

describe("log flags", () => {
  test("by default (stdout not a terminal) every line is a JSON record with time, level and msg", async () => {
    const { out, code } = await start();
    expect(code).toBe(0);
    const records = out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(2);
    for (const r of records) {
      expect(Object.keys(r).slice(0, 3)).toEqual(["time", "level", "msg"]);
      expect(Number.isNaN(Date.parse(String(r.time)))).toBe(false);
    }
    expect(records[0]).toMatchObject({ level: "info", msg: "recovered", seq: 0, snapshotSeq: 0, replayed: 0 });
  }, 30_000);

  test("--log-format pretty writes one human line per record", async () => {
    const { out, code } = await start("--log-format", "pretty");
    expect(code).toBe(0);
    const lines = out.trim().split("\n");
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}Z INFO  recovered seq=\d+ snapshotSeq=\d+ replayed=\d+ durationMs=[\d.]+$/);
    expect(lines.some((l) => l.startsWith("{"))).toBe(false);
  }, 30_000);

  test("--log-level warn leaves out info; --debug is accepted as level debug", async () => {
    const quiet = await start("--log-level", "warn");
    expect(quiet.code).toBe(0);
    expect(quiet.out).toBe("");
    const debug = await start("--debug");
    expect(debug.code).toBe(0);
    expect(debug.out).toContain(`"msg":"recovered"`);
  }, 30_000);

  test("a bad --log-format or --log-level is refused with the accepted values", async () => {
    const f = await start("--log-format", "xml");
    expect(f.code).toBe(2);
    expect(f.err).toBe('bourse: --log-format must be one of json, pretty, not "xml"\n');
    const l = await start("--log-level", "loud");
    expect(l.code).toBe(2);
    expect(l.err).toBe('bourse: --log-level must be one of debug, info, warn, error, not "loud"\n');
  }, 30_000);
});
