/**
 * bench/rest.ts runs end to end in a tiny mode, so it cannot rot: both servers start, the setup
 * signs a user in and rests orders, every GET case answers 200 on both servers with the same
 * bodies, and the REST and WebSocket order runs place and cancel without a refusal. No figure is
 * asserted, only that each run produced answers and the script's own checks passed.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");

test("bench/rest.ts --json runs in a tiny mode: every GET 200 on both servers, orders placed and cancelled on both doors", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bourse-rest-bench-test-"));
  try {
    const tiny = ["--seconds", "0.3", "--warmup", "0", "--post-seconds", "0.3", "--connections", "4", "--post-connections", "2", "--resting", "2", "--dir", dir, "--json"];
    const p = Bun.spawn([process.execPath, join(ROOT, "bench/rest.ts"), ...tiny], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    expect({ code, failed: err.split("\n").filter((l) => l.startsWith("FAILED")) }).toEqual({ code: 0, failed: [] });
    const r = JSON.parse(out.trim().split("\n").at(-1)!);
    expect(r.failures).toEqual([]);
    expect(r.gets.map((g: { name: string }) => g.name)).toEqual(["time (public, trivial)", "book (public)", "balances, bearer", "open orders, bearer", "balances, signed", "open orders, signed"]);
    for (const g of r.gets) {
      for (const side of [g.raw, g.bourse]) {
        expect({ name: g.name, statuses: Object.keys(side.statuses), answered: side.responses > 0 }).toEqual({ name: g.name, statuses: ["200"], answered: true });
      }
    }
    // Two resting orders a side: the book and the open orders the raw handler was given are not empty.
    const bodies = Object.fromEntries(r.gets.map((g: { name: string; body_bytes: number }) => [g.name, g.body_bytes]));
    expect(bodies["open orders, bearer"]).toBeGreaterThan(bodies["balances, bearer"]);
    expect(r.orders.map((o: { connections: number }) => o.connections)).toEqual([2, 1]);
    for (const o of r.orders) {
      expect(Object.keys(o.rest.statuses).sort()).toEqual(["200", "201"]);
      expect(o.rest.place.count).toBeGreaterThan(0);
      expect(o.rest.cancel.count).toBeGreaterThan(0);
      expect({ rejects: o.ws.rejects, errors: o.ws.errors, placed: o.ws.place.count > 0, cancelled: o.ws.cancel.count > 0 }).toEqual({ rejects: 0, errors: 0, placed: true, cancelled: true });
    }
    // The servers removed their data directories on stop.
    expect(readdirSync(dir)).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
