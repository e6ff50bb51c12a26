/**
 * bench/recovery.ts (`npm run bench:recovery`): RTO and RPO of a data directory of N journaled
 * commands (docs/backup.md, README *Performance*).
 *
 * 1. Build: `bourse start --orders N --no-fsync` writes the directory and `bourse history rebuild`
 *    its history store (setup, timed but not part of any figure).
 * 3. RPO (last, since it adds commands the history store does not have): a load runs on it (`bourse start --orders=-1`, fsync on) while `bourse backup` copies it;
 *    the load is SIGKILLed the moment the backup finishes, i.e. the host is lost right then. The
 *    commands in its journal past the backup's seq are what a restore from the backup alone loses;
 *    with the journal's segments shipped off the host, nothing of what was shipped.
 * 2. RTO, per trial: `bourse restore` into a fresh directory, then `bourse serve` on it until
 *    GET /ready answers 200 (accepting orders). Baselines in the same trial: `cp -r` of the
 *    original directory, a bare read of its journal files, and `bourse serve` to /ready on the
 *    plain copy (the restart alone, without a restore). Also a restore to a point in time (to the
 *    time of the middle command: every command's time is decoded).
 *
 * Times are wall clock of whole commands (process start included), page cache warm.
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFlags } from "./kit/args.ts";
import { table } from "./kit/report.ts";

const USAGE = "usage: npx bun bench/recovery.ts [--commands N (default 200,000)] [--trials T (default 1)] [--dir DIR (default the OS temp dir)] [--json]";
// The default stays under a minute; the README's figures are --commands 1000000 --trials 3 and --commands 10000000 --trials 1.
let commands = 200_000;
let trials = 1;
let base = tmpdir();
let json = false;
parseFlags(process.argv.slice(2), USAGE, {
  "--commands": (v) => (commands = v.num()),
  "--trials": (v) => (trials = v.num()),
  "--dir": (v) => (base = v.str()),
  "--json": () => (json = true),
});

const ROOT = join(import.meta.dir, "..");
const BOURSE = join(ROOT, "bin/bourse.ts");
const work = mkdtempSync(join(base, "bourse-bench-recovery-"));
const log = (line: string) => console.error(line);

function run(args: string[]): { ms: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BOURSE, ...args], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`bourse ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function timed(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return performance.now() - t0;
}

/** `bourse serve` from spawn until GET /ready answers 200; then stopped. */
async function serveToReady(dataDir: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BOURSE, "serve", "--data", dataDir, "--port", "0", "--fix-port", "0", "--log-format", "json"], { cwd: ROOT });
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /"msg":"running".*"http":"(http:[^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code} before running: ${out}`)));
  });
  const ready = await fetch(`${url}/ready`);
  const ms = performance.now() - t0;
  if (ready.status !== 200) throw new Error(`/ready answered ${ready.status}`);
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGTERM");
  await exited;
  return ms;
}

/** Every byte of the journal's segments read once (the floor under any copy or replay of it). */
function readJournal(dataDir: string): { ms: number; bytes: number } {
  const dir = join(dataDir, "journal");
  const buf = new Uint8Array(1 << 20);
  const t0 = performance.now();
  let bytes = 0;
  for (const name of readdirSync(dir)) {
    const fd = openSync(join(dir, name), "r");
    for (let at = 0; ; ) {
      const n = readSync(fd, buf, 0, buf.length, at);
      if (n <= 0) break;
      at += n;
      bytes += n;
    }
    closeSync(fd);
  }
  return { ms: performance.now() - t0, bytes };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const max = (xs: number[]) => Math.max(...xs);
const s = (ms: number) => (ms / 1000).toFixed(2);

try {
  const data = join(work, "data");
  log(`building ${commands.toLocaleString()} commands in ${data} …`);
  const build = run(["start", "--data", data, "--orders", String(commands), "--no-fsync", "--log-format", "json"]);
  log(`built in ${s(build.ms)} s`);

  // A history store through the end, as a served directory has (start writes none): without it
  // serve waits up to 5 s for the writer's catch-up before it opens the doors.
  const hist = run(["history", "rebuild", "--data", data]);
  log(`history store rebuilt in ${s(hist.ms)} s`);
  const lostEndBefore = Number(/seq \d+–(\d+)/.exec(run(["journal", "verify", "--data", data]).stdout)![1]);
  const journalBytes = readdirSync(join(data, "journal")).reduce((n, f) => n + statSync(join(data, "journal", f)).size, 0);
  const midSeq = Math.floor(lostEndBefore / 2);
  const midLine = run(["journal", "inspect", "--data", data, "--from", String(midSeq), "--limit", "1"]).stdout.split("\n").find((l) => l.startsWith(`${midSeq}  `))!;
  const midTime = String(Date.parse(midLine.split("  ")[1]!) * 1000);

  const rows: Record<string, number[]> = { backup: [], restore: [], serve: [], rto: [], pitr: [], cp: [], read: [], restart: [] };
  for (let t = 0; t < trials; t++) {
    const backup = join(work, `backup-${t}`);
    const restored = join(work, `restored-${t}`);
    const pitr = join(work, `pitr-${t}`);
    const copy = join(work, `copy-${t}`);
    rows.backup!.push(run(["backup", "--data", data, "--to", backup]).ms);
    rows.cp!.push(timed("cp", ["-r", data, copy]));
    rows.read!.push(readJournal(data).ms);
    const restore = run(["restore", "--from", backup, "--data", restored]).ms;
    const serve = await serveToReady(restored);
    rows.restore!.push(restore);
    rows.serve!.push(serve);
    rows.rto!.push(restore + serve);
    rows.pitr!.push(run(["restore", "--from", backup, "--data", pitr, "--until", midTime]).ms);
    // The plain restart of the copy (its LOCK names a dead process: that is a crash's directory).
    rows.restart!.push(await serveToReady(copy));
    for (const d of [backup, restored, pitr, copy]) rmSync(d, { recursive: true, force: true });
    log(`trial ${t + 1}/${trials}: backup ${s(rows.backup!.at(-1)!)} s, restore ${s(restore)} s + serve to /ready ${s(serve)} s = RTO ${s(restore + serve)} s; cp -r ${s(rows.cp!.at(-1)!)} s, read journal ${s(rows.read!.at(-1)!)} s, restart of the copy ${s(rows.restart!.at(-1)!)} s`);
  }

  // RPO: a backup under load, the host lost the moment it completes.
  const load = spawn(process.execPath, [BOURSE, "start", "--data", data, "--orders=-1", "--log-format", "json"], { cwd: ROOT });
  let loadOut = "";
  await new Promise<void>((resolve, reject) => {
    load.stdout.on("data", (d: Buffer) => {
      loadOut += d.toString();
      if (/"msg":"recovered"/.test(loadOut)) resolve();
    });
    load.on("exit", (code) => reject(new Error(`load exited ${code}: ${loadOut}`)));
  });
  const loadExited = new Promise((resolve) => load.on("exit", resolve));
  const online = join(work, "backup-online");
  const b = run(["backup", "--data", data, "--to", online, "--config", "config/demo.json"]);
  load.kill("SIGKILL");
  await loadExited;
  const backupSeq = Number(/: seq (\d+)/.exec(b.stdout)![1]);
  const lostEnd = Number(/seq \d+–(\d+)/.exec(run(["journal", "verify", "--data", data]).stdout)![1]);
  const rpo = { backupSeq, hostEnd: lostEnd, commandsLost: lostEnd - backupSeq, backupSeconds: b.ms / 1000 };
  log(`RPO: backup at seq ${backupSeq} in ${s(b.ms)} s under load; the host had ${lostEnd} when lost: ${rpo.commandsLost} commands lost without shipped segments`);
  rmSync(online, { recursive: true });

  const label: Record<string, string> = {
    backup: "bourse backup (online copy + manifest)",
    restore: "bourse restore (verify + copy)",
    serve: "bourse serve on it, spawn → /ready 200",
    rto: "RTO = restore + serve to /ready",
    pitr: "bourse restore --until TIME (middle command)",
    cp: "baseline: cp -r of the directory",
    read: "baseline: bare read of the journal files",
    restart: "baseline: serve on the cp -r copy → /ready",
  };
  const cpMedian = median(rows.cp!);
  console.log(`${commands.toLocaleString()} commands built (journal ${(journalBytes / 1e6).toFixed(0)} MB, seq ${lostEndBefore}); ${trials} trials`);
  console.log(
    table(
      ["step", "median s", "max s", "÷ cp -r median"],
      Object.keys(label).map((k) => [label[k]!, s(median(rows[k]!)), s(max(rows[k]!)), (median(rows[k]!) / cpMedian).toFixed(2)]),
    ),
  );
  console.log(`RPO: backup under load took ${rpo.backupSeconds.toFixed(2)} s and holds seq ${rpo.backupSeq}; the host, lost as it finished, had seq ${rpo.hostEnd}: ${rpo.commandsLost} commands lost from the backup alone, 0 with the journal shipped`);
  if (json) console.log(JSON.stringify({ commands, seq: lostEndBefore, journalBytes, trials, rpo, medianMs: Object.fromEntries(Object.keys(rows).map((k) => [k, median(rows[k]!)])), maxMs: Object.fromEntries(Object.keys(rows).map((k) => [k, max(rows[k]!)])) }));
} finally {
  rmSync(work, { recursive: true, force: true });
}
