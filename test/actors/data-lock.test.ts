/**
 * One writer per data directory (actors/data-lock.ts), with real processes: a `bourse serve` holds
 * a directory; a second `bourse start` or `serve` on it refuses at once with the holder's name and
 * leaves every file byte-identical; SIGKILL of the holder frees it; read-only commands work beside
 * the holder and say the directory is live. And recovery refuses a snapshot the journal does not
 * reach, a missing directory and a target past the journal's end, before changing anything.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, relative } from "node:path";
import { seedCommands } from "../../app/config.ts";
import { DataDirError, DataDirInUse, DataDirMissing, DataDirUnwritable, SnapshotAheadOfJournal, UntilPastEnd } from "../../actors/data-dir-errors.ts";
import { DataDirLock, liveNote, lockFile, parseHolder } from "../../actors/data-lock.ts";
import { Journal } from "../../actors/journal/journal.ts";
import { LoadStream } from "../../cli/demo-load.ts";
import { paths, recover } from "../../actors/recovery.ts";
import { Runtime } from "../../actors/runtime.ts";
import { WorkerHost } from "../../actors/worker-host.ts";
import { Command } from "../../engine/commands.ts";
import { demoConfig, TempDirs } from "./temp-dirs.ts";

const ROOT = join(import.meta.dir, "../..");
const BUN = process.execPath;
const config = demoConfig;
const dirs = new TempDirs("bourse-lock-");
const children: Bun.Subprocess[] = [];
const dataDir = () => dirs.make();
afterEach(async () => {
  for (const c of children.splice(0)) {
    c.kill("SIGKILL");
    await c.exited;
  }
});
afterAll(() => {
  dirs.removeAll();
});

/** Every file under `dir` with its bytes (as hex, so a failed comparison is readable enough). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = Buffer.from(readFileSync(p)).toString("hex");
    }
  };
  walk(dir);
  return out;
}

/** Runs `bourse ...` to its end. */
async function bourse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn([BUN, join(ROOT, "bin/bourse.ts"), ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/** Starts `bourse serve` on `dir` (free ports) and resolves once it prints that it is running. */
async function holder(dir: string): Promise<Bun.Subprocess<"ignore", "pipe", "pipe">> {
  const p = Bun.spawn([BUN, join(ROOT, "bin/bourse.ts"), "serve", "--data", dir, "--port", "0", "--fix-port", "0"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  children.push(p);
  const reader = p.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(`"msg":"running"`)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`serve exited before it was running: ${text}${await new Response(p.stderr).text()}`);
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return p;
}

describe("two processes on one data directory", () => {
  test(
    "a second writer refuses at once, names the holder and touches nothing; SIGKILL of the holder frees the directory",
    async () => {
      const dir = dataDir();
      const first = await holder(dir);
      const before = tree(dir);
      expect(Object.keys(before).some((f) => f.startsWith("journal/"))).toBe(true);
      expect(parseHolder(before.LOCK ? Buffer.from(before.LOCK, "hex").toString() : "")).toMatchObject({ pid: first.pid, host: hostname() });

      const refusal = new RegExp(`^bourse: data directory ${dir} is in use by pid ${first.pid} on ${hostname()} since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\n$`);
      const start = await bourse("start", "--data", dir, "--orders", "20000");
      expect(start.stderr).toMatch(refusal);
      expect(start.code).not.toBe(0);
      expect(start.stdout).toBe("");
      const serve = await bourse("serve", "--data", dir, "--port", "0", "--fix-port", "0");
      expect(serve.stderr).toMatch(refusal);
      expect(serve.code).not.toBe(0);
      const worker = await bourse("serve", "--data", dir, "--port", "0", "--fix-port", "0", "--workers", "1");
      expect(worker.stderr).toMatch(refusal);
      expect(worker.code).not.toBe(0);
      // Journal, snapshots, FIX stores and the LOCK file itself: byte for byte as they were.
      expect(tree(dir)).toEqual(before);

      first.kill("SIGKILL");
      await first.exited;
      const after = await bourse("start", "--data", dir, "--orders", "50");
      expect(after.stderr).not.toContain("in use");
      expect(after.code).toBe(0);
      expect(after.stdout).toContain(`"msg":"load finished","commands":50,`);
    },
    60_000,
  );

  test(
    "read-only commands work beside a live writer, say so, and leave it the lock",
    async () => {
      const dir = dataDir();
      const live = await holder(dir);
      const note = new RegExp(`^note: data directory ${dir} is live \\(held by pid ${live.pid} on ${hostname()} since [^)]+\\); reading what is durable so far$`, "m");
      const inspect = await bourse("journal", "inspect", "--data", dir, "--limit", "3");
      expect(inspect.stderr).toMatch(note);
      expect(inspect.code).toBe(0);
      expect(inspect.stdout).toContain("OPEN_ACCOUNT");
      const verify = await bourse("journal", "verify", "--data", dir, "--replay");
      expect(verify.stderr).toMatch(note);
      expect(verify.code).toBe(0);
      const rec = await bourse("recover", "--data", dir, "--until", "3");
      expect(rec.stderr).toMatch(note);
      expect(rec.code).toBe(0);
      expect(rec.stdout).toContain("recovered to seq 3");
      // None of them took the lock: the server still holds it.
      expect(DataDirLock.probe(dir)?.pid).toBe(live.pid);
      expect(() => DataDirLock.acquire(dir)).toThrow(DataDirInUse);
      // And with nobody writing, no note.
      live.kill("SIGKILL");
      await live.exited;
      const quiet = await bourse("journal", "inspect", "--data", dir, "--limit", "1");
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).not.toContain("note:");
    },
    60_000,
  );
});

describe("the lock in one process", () => {
  test("a second acquire is refused with the holder's name, changes nothing, and succeeds after release", () => {
    const dir = dataDir();
    const lock = DataDirLock.acquire(dir);
    const content = readFileSync(lockFile(dir), "utf8");
    expect(parseHolder(content)).toEqual(lock.holder);
    expect(lock.holder).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => DataDirLock.acquire(dir)).toThrow(`data directory ${dir} is in use by pid ${process.pid} on ${hostname()} since ${lock.holder.since}`);
    expect(readFileSync(lockFile(dir), "utf8")).toBe(content);
    expect(liveNote(dir)).toContain(`is live (held by pid ${process.pid}`);
    lock.release();
    expect(DataDirLock.probe(dir)).toBeNull();
    expect(liveNote(dir)).toBeNull();
    DataDirLock.acquire(dir).release();
  });

  test("Runtime and WorkerHost take the lock before opening anything and release it on close", async () => {
    const dir = dataDir();
    const rt = Runtime.start({ config: config.exchange, dataDir: dir, fsync: false });
    expect(() => Runtime.start({ config: config.exchange, dataDir: dir, fsync: false })).toThrow(DataDirInUse);
    await expect(WorkerHost.start({ config: config.exchange, dataDir: dir, fsync: false })).rejects.toBeInstanceOf(DataDirInUse);
    rt.close();
    const host = await WorkerHost.start({ config: config.exchange, dataDir: dir, fsync: false });
    // The worker's Runtime runs under the host's lock, taken on this thread.
    expect(DataDirLock.probe(dir)?.pid).toBe(process.pid);
    expect(() => Runtime.start({ config: config.exchange, dataDir: dir, fsync: false })).toThrow(DataDirInUse);
    await host.close();
    Runtime.start({ config: config.exchange, dataDir: dir, fsync: false }).close();
  });

  test("a directory that cannot be written is one clear error, not a stack", () => {
    const file = join(dataDir(), "a-file");
    writeFileSync(file, "");
    // A path under a regular file can be neither created nor opened, whoever runs the test (root too).
    expect(() => DataDirLock.acquire(join(file, "data"))).toThrow(DataDirUnwritable);
    expect(() => DataDirLock.acquire(join(file, "data"))).toThrow(`cannot open data directory ${join(file, "data")} for writing: `);
  });

  test("a Runtime told the lock is held checks that it is", () => {
    const dir = dataDir();
    expect(() => Runtime.start({ config: config.exchange, dataDir: dir, fsync: false, lockHeld: true })).toThrow(/is not locked/);
  });
});

/** A directory with a snapshot at `snapSeq` and the journal going on past it. */
function withSnapshot(dir: string): { snapSeq: number; lastSeq: number } {
  const rt = Runtime.start({ config: config.exchange, dataDir: dir, fsync: false, snapshotter: "inline", snapshotEvery: 0, hashEvery: 0 });
  for (const c of seedCommands(config)) rt.submit(c);
  const load = new LoadStream(config.exchange, [1, 2, 3, 4], 7, 1000);
  const cmd = new Command();
  for (let i = 0; i < 300; i++) rt.submit(load.next(cmd));
  rt.flush();
  rt.snapshot();
  const snapSeq = rt.lastSeq;
  for (let i = 0; i < 50; i++) rt.submit(load.next(cmd));
  rt.flush();
  const lastSeq = rt.lastSeq;
  rt.close();
  return { snapSeq, lastSeq };
}

describe("recovery refuses what it cannot do safely", () => {
  test("a snapshot ahead of the journal's end: refused with both seqs, nothing cut, the lock released", async () => {
    const dir = dataDir();
    const { snapSeq } = withSnapshot(dir);
    // Lose the journal's end (as a second writer or a hand truncation would), mid-record: the
    // rest would look like a torn tail, which recovery must not cut here.
    const [segment] = readdirSync(paths(dir).journal);
    const file = join(paths(dir).journal, segment!);
    truncateSync(file, Math.floor(statSync(file).size / 2) + 3);
    const journalEnd = Journal.open({ dir: paths(dir).journal, readOnly: true }).lastSeq;
    expect(journalEnd).toBeLessThan(snapSeq);
    // The refusing writer does take the lock first (and so rewrites LOCK): everything else stays.
    const { LOCK: _lock, ...before } = tree(dir);
    const unlocked = () => {
      const { LOCK: _, ...rest } = tree(dir);
      return rest;
    };

    let error: unknown;
    try {
      Runtime.start({ config: config.exchange, dataDir: dir, fsync: false });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SnapshotAheadOfJournal);
    expect((error as Error).message).toContain(`is at seq ${snapSeq} but the journal ends at seq ${journalEnd}`);
    expect((error as Error).message).toContain(`docs/journal.md, "Repairing a data directory by hand"`);
    expect(unlocked()).toEqual(before);
    expect(DataDirLock.probe(dir)).toBeNull();

    // With the engine in a worker: the same refusal, as a DataDirError, and the host's lock released.
    const inWorker = WorkerHost.start({ config: config.exchange, dataDir: dir, fsync: false });
    await expect(inWorker).rejects.toBeInstanceOf(DataDirError);
    await expect(inWorker).rejects.toThrow(`is at seq ${snapSeq} but the journal ends at seq ${journalEnd}`);
    expect(DataDirLock.probe(dir)).toBeNull();

    const cli = await bourse("start", "--data", dir, "--orders", "0");
    expect(cli.code).toBe(1);
    expect(cli.stderr).toStartWith(`bourse: data directory ${dir} is inconsistent: snapshot `);
    expect(cli.stderr).toContain(`is at seq ${snapSeq} but the journal ends at seq ${journalEnd}`);
    const verify = await bourse("journal", "verify", "--data", dir);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain(`INCONSISTENT: snapshot`);
    expect(unlocked()).toEqual(before);
  }, 60_000);

  test("a journal that is gone entirely is no fresh start when a snapshot exists", () => {
    const dir = dataDir();
    const { snapSeq } = withSnapshot(dir);
    rmSync(paths(dir).journal, { recursive: true });
    expect(() => Runtime.start({ config: config.exchange, dataDir: dir, fsync: false })).toThrow(`is at seq ${snapSeq} but the journal ends at seq 0`);
    // Not even the journal's directory was created again.
    expect(readdirSync(dir).includes("journal")).toBe(false);
  });

  test("recover: a missing directory and a target past the journal's end are errors that say so", async () => {
    const dir = dataDir();
    const { lastSeq } = withSnapshot(dir);
    expect(() => recover({ dataDir: join(dir, "nope"), config: config.exchange, readOnly: true })).toThrow(DataDirMissing);
    expect(() => recover({ dataDir: dir, config: config.exchange, untilSeq: lastSeq + 1 })).toThrow(UntilPastEnd);
    expect(recover({ dataDir: dir, config: config.exchange, untilSeq: lastSeq }).seq).toBe(lastSeq);

    const missing = await bourse("recover", "--data", join(dir, "nope"), "--until", "5");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`bourse: data directory ${join(dir, "nope")} does not exist; pass --data DIR (the directory serve or start wrote)\n`);
    const pastSeq = await bourse("recover", "--data", dir, "--until", String(lastSeq + 10));
    expect(pastSeq.code).toBe(1);
    expect(pastSeq.stderr).toMatch(new RegExp(`^bourse: journal ends at seq ${lastSeq} \\(time [\\d-]+T[\\d:.]+Z\\); --until ${lastSeq + 10} is past it`, "m"));
    // A time after the last command is answered with the state at the end, and a note says so.
    const pastTime = await bourse("recover", "--data", dir, "--until", "2999-01-01T00:00:00Z");
    expect(pastTime.code).toBe(0);
    expect(pastTime.stdout).toContain(`recovered to seq ${lastSeq} `);
    expect(pastTime.stderr).toContain(`note: the journal ends at seq ${lastSeq} (time `);
    expect(pastTime.stderr).toContain("before --until 2999-01-01T00:00:00.000Z: this is the state at its end");
  }, 60_000);
});

// The LOCK file's format is what an operator reads with cat; keep the parser honest about it.
test("parseHolder reads the LOCK file's lines and tolerates an empty one", () => {
  expect(parseHolder("pid 42\nhost box\nsince 2026-12-07T08:00:00.000Z\n")).toEqual({ pid: 42, host: "box", since: "2026-12-07T08:00:00.000Z" });
  expect(parseHolder("")).toEqual({ pid: 0, host: "", since: "" });
});
