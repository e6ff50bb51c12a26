/**
 * The disaster-recovery drill (docs/backup.md, "The drill"), end to end with real processes:
 * load a data directory, serve it, take a backup while clients trade, trade more, stop, lose the
 * directory (only the shipped journal segments and the backup survive), restore, and check the
 * restored exchange against the original: the state hash at the last seq and at an earlier time,
 * and the history store's row counts. Also what is lost without the shipped segments (the RPO).
 */
import { afterAll, expect, test } from "bun:test";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseClient, RejectError } from "../../client/index.ts";
import { BOURSE, bourse, bourseServe, killAll } from "../cli/support.ts";

const root = mkdtempSync(join(tmpdir(), "bourse-dr-drill-"));
afterAll(() => {
  killAll();
  rmSync(root, { recursive: true, force: true });
});

const stateHash = (dataDir: string, until: string | number) => {
  const r = bourse(["recover", "--data", dataDir, "--until", String(until)]);
  expect(r.code).toBe(0);
  return { seq: Number(/recovered to seq (\d+)/.exec(r.stdout)![1]), hash: /state hash (\w+)/.exec(r.stdout)![1]! };
};
const journalEnd = (dataDir: string) => Number(/seq \d+–(\d+)/.exec(bourse(["journal", "verify", "--data", dataDir]).stdout)![1]);
const historyStatus = (dataDir: string) => {
  const out = bourse(["history", "status", "--data", dataDir]).stdout;
  return { seq: Number(/written\s+through seq (\d+)/.exec(out)![1]), rows: /^rows\s+(.*)$/m.exec(out)![1]! };
};
/** The engine time (µs) of one journaled command, from `bourse journal inspect`. */
const timeOf = (dataDir: string, seq: number) => {
  const line = bourse(["journal", "inspect", "--data", dataDir, "--from", String(seq), "--limit", "1"]).stdout.split("\n").find((l) => l.startsWith(`${seq}  `))!;
  return Date.parse(line.split("  ")[1]!) * 1000;
};

/** Two clients trading with each other until told to stop; `reached(n)` resolves once n orders were answered. */
async function trade(url: string) {
  const alice = await BourseClient.connect(url);
  const bob = await BourseClient.connect(url);
  await alice.login("alice-demo", "alice-demo-secret-do-not-use-in-production");
  await bob.login("bob-demo", "bob-demo-secret-do-not-use-in-production");
  let answered = 0;
  let stop = false;
  const waiters: { n: number; resolve: () => void }[] = [];
  const pump = async (c: BourseClient, side: "buy" | "sell", tag: string) => {
    for (let i = 0; !stop; i++) {
      try {
        await c.placeOrder({ symbol: "ETH-USD", side, price: "2000", qty: "0.01", clientOrderId: `${tag}-${i}` });
      } catch (e) {
        if (!(e instanceof RejectError)) throw e;
      }
      answered++;
      for (let w = waiters.length - 1; w >= 0; w--) if (answered >= waiters[w]!.n) waiters.splice(w, 1)[0]!.resolve();
    }
  };
  const running = Promise.all([pump(alice, "sell", "a"), pump(bob, "buy", "b")]);
  return {
    get answered() {
      return answered;
    },
    reached: (n: number) => (answered >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
    async stop() {
      stop = true;
      await running;
      alice.close();
      bob.close();
    },
  };
}

test("DR drill: backup under load, lose the directory, restore to the last seq and to an earlier time", async () => {
  const orig = join(root, "orig");
  const backup = join(root, "backup");
  const shipped = join(root, "shipped-journal");

  // 1. Load: a seeded run, then the exchange serving clients.
  expect(bourse(["start", "--data", orig, "--orders", "20000", "--snapshot-every", "5000", "--log-format", "json"]).code).toBe(0);
  const server = bourseServe(["--data", orig, "--port", "0", "--fix-port", "0", "--log-format", "json"]);
  const url = (await server.waitFor(/"msg":"running".*"websocket":"(ws:[^"]+)"/))[1]!;
  const load = await trade(url);
  await load.reached(200);

  // 2. The backup, while the clients keep trading: orders are answered during it (online).
  const before = load.answered;
  const proc = Bun.spawn([process.execPath, BOURSE, "backup", "--data", orig, "--to", backup], { stdout: "pipe", stderr: "pipe" });
  const [code, out] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
  expect({ code, out }).toEqual({ code: 0, out: expect.stringContaining(`backup ${backup}: seq `) });
  const duringBackup = load.answered - before;
  const backupSeq = Number(/: seq (\d+)/.exec(out)![1]);

  // 3. More load after the backup, then a clean stop.
  await load.reached(load.answered + 400);
  await load.stop();
  server.child.kill("SIGTERM");
  expect(await server.exited).toBe(0);

  // The original, for comparison: its last seq, an earlier time (between the backup and the end),
  // one before the backup's snapshot, and its history store.
  const last = journalEnd(orig);
  expect(last).toBeGreaterThan(backupSeq);
  const midSeq = backupSeq + Math.floor((last - backupSeq) / 2);
  const midTime = timeOf(orig, midSeq);
  const earlyTime = timeOf(orig, 12_345);
  const want = { last: stateHash(orig, last), mid: stateHash(orig, midTime), early: stateHash(orig, earlyTime), history: historyStatus(orig) };
  expect(want.history.seq).toBe(last);

  // 4. The disaster: the directory is gone; the journal segments shipped off the host survive.
  cpSync(join(orig, "journal"), shipped, { recursive: true });
  rmSync(orig, { recursive: true });

  // 5a. Restore to the last seq (backup + shipped segments), serve it, and compare.
  const r1 = join(root, "restored-last");
  const t0 = performance.now();
  const restored = bourse(["restore", "--from", backup, "--data", r1, "--journal", shipped]);
  expect(restored.stdout).toContain(`restored ${r1} to seq ${last} `);
  const again = bourseServe(["--data", r1, "--port", "0", "--fix-port", "0", "--log-format", "json"]);
  const url1 = (await again.waitFor(/"msg":"running".*"websocket":"(ws:[^"]+)"/))[1]!;
  const ready = await fetch(url1.replace("ws:", "http:").replace("/ws", "/ready"));
  const rtoMs = performance.now() - t0;
  expect(ready.status).toBe(200);
  again.child.kill("SIGTERM");
  expect(await again.exited).toBe(0);
  expect(stateHash(r1, last)).toEqual(want.last);
  const history = historyStatus(r1);
  expect(history.seq).toBeGreaterThanOrEqual(last);
  expect(history.rows).toBe(want.history.rows);

  // 5b. Point in time: to the earlier time, and to one before the backup's snapshot.
  const r2 = join(root, "restored-mid");
  expect(bourse(["restore", "--from", backup, "--data", r2, "--journal", shipped, "--until", String(midTime)]).code).toBe(0);
  expect(stateHash(r2, journalEnd(r2))).toEqual(want.mid);
  const r3 = join(root, "restored-early");
  expect(bourse(["restore", "--from", backup, "--data", r3, "--until", String(earlyTime)]).code).toBe(0);
  expect(stateHash(r3, journalEnd(r3))).toEqual(want.early);

  // 6. Without the shipped segments: the backup's seq, and the commands after it are what is lost (RPO).
  const r4 = join(root, "restored-backup-only");
  expect(bourse(["restore", "--from", backup, "--data", r4]).stdout).toContain(`restored ${r4} to seq ${backupSeq} `);
  const rpoCommands = last - backupSeq;
  expect(rpoCommands).toBeGreaterThan(0);
  console.log(`DR drill: ${last} commands, backup at seq ${backupSeq} with ${duringBackup} orders answered during it; restore + serve to /ready ${rtoMs.toFixed(0)} ms; RPO with shipped segments 0, without ${rpoCommands} commands`);
  expect(duringBackup).toBeGreaterThan(0);
}, 120_000);
