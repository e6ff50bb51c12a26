/**
 * bourse backup and restore, piece by piece (docs/backup.md): the cut at the last whole record of
 * a segment being written, the manifest's checksums, the refusals (a gap, another history, a live
 * directory, a non-empty one), point-in-time cuts. One data directory made by `bourse start` is
 * shared, read-only; each test copies what it changes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { takeBackup } from "../../backup/backup.ts";
import { restore } from "../../backup/restore.ts";
import { readManifest } from "../../backup/manifest.ts";
import { recordsEnd } from "../../backup/record-files.ts";
import { segmentName } from "../../actors/journal/segment.ts";
import { RESTORE_MARKER } from "../../actors/data-lock.ts";
import { bourse, bourseServe, DEMO_CONFIG, killAll, lines } from "../cli/support.ts";

const root = mkdtempSync(join(tmpdir(), "bourse-backup-"));
const source = join(root, "source");
let n = 0;
const fresh = (name: string) => join(root, `${name}-${++n}`);
const backupOf = (dataDir: string, to = fresh("backup")) => takeBackup({ dataDir, to, configFile: DEMO_CONFIG, bourseVersion: "test" }).then((m) => ({ m, to }));
const segments = (dir: string) => readdirSync(join(dir, "journal")).filter((f) => f.endsWith(".seg")).sort();

beforeAll(() => {
  // ~4,000 commands (one segment), a snapshot every 1,000.
  const r = bourse(["start", "--data", source, "--orders", "4000", "--snapshot-every", "1000", "--log-format", "json"]);
  expect(r.code).toBe(0);
});
afterAll(() => {
  killAll();
  rmSync(root, { recursive: true, force: true });
});

describe("backup", () => {
  test("a segment being written is copied up to its last whole record, and the manifest says that seq", async () => {
    const data = fresh("data");
    cpSync(source, data, { recursive: true });
    const last = join(data, "journal", segments(data).at(-1)!);
    const whole = statSync(last).size;
    const end = recordsEnd(last);
    // A write in progress: the first 40 bytes of a 136-byte record (a header and part of a payload).
    const header = new Uint8Array(40);
    new DataView(header.buffer).setUint32(0, 120, true);
    new DataView(header.buffer).setFloat64(8, end.lastSeq + 1, true);
    appendFileSync(last, header);
    const { m, to } = await backupOf(data);
    expect(m.seq).toBe(end.lastSeq);
    const copied = m.files.find((f) => f.path === `journal/${segments(data).at(-1)}`)!;
    expect(copied.bytes).toBe(whole);
    expect(statSync(join(to, copied.path)).size).toBe(whole);
    expect(copied.lastSeq).toBe(end.lastSeq);
    // The source is not touched: its torn bytes are still there for its own writer to deal with.
    expect(statSync(last).size).toBe(whole + 40);
  });

  test("carries the newest snapshot, the master key with its permissions, hashes.log up to its seq; lists what it leaves", async () => {
    const { m, to } = await backupOf(source);
    const snaps = readdirSync(join(source, "snapshots")).filter((f) => f.endsWith(".snap")).sort();
    expect(m.files.filter((f) => f.path.startsWith("snapshots/")).map((f) => f.path)).toEqual([`snapshots/${snaps.at(-1)}`]);
    expect(m.snapshotSeq).toBe(Number(snaps.at(-1)!.slice(9, 29)));
    expect(m.journalFirstSeq).toBe(1);
    if (existsSync(join(source, "master.key"))) {
      expect(statSync(join(to, "master.key")).mode & 0o777).toBe(statSync(join(source, "master.key")).mode & 0o777);
      // Its bytes appear nowhere but in its own file.
      expect(readFileSync(join(to, "manifest.json"), "utf8")).not.toContain(readFileSync(join(source, "master.key"), "utf8").trim());
    }
    expect(m.skipped.map((s) => s.path)).toContain("LOCK");
    expect(() => readManifest(to)).not.toThrow();
  });

  test("refuses a --to that is not empty", async () => {
    const to = fresh("backup");
    mkdirSync(to);
    writeFileSync(join(to, "something"), "x");
    await expect(backupOf(source, to)).rejects.toThrow(/is not empty/);
  });
});

describe("restore", () => {
  test("a flipped byte in the backup fails the manifest check, and nothing is restored", async () => {
    const { to } = await backupOf(source);
    const seg = join(to, "journal", segments(to)[0]!);
    const bytes = readFileSync(seg);
    bytes[1000] ^= 0x01;
    writeFileSync(seg, bytes);
    const data = fresh("restored");
    expect(() => restore({ from: to, dataDir: data })).toThrow(/is damaged: journal\/journal-0+1\.seg does not match its SHA-256/);
    expect(readdirSync(data).filter((f) => f !== "LOCK")).toEqual([]);
  });

  test("later segments after the backup are appended; a gap between them is refused, naming the seqs", async () => {
    // The backup at seq S, then the source goes on: its journal is the "later segments".
    const data = fresh("data");
    cpSync(source, data, { recursive: true });
    const { m, to } = await backupOf(data);
    expect(bourse(["start", "--data", data, "--orders", "500", "--log-format", "json"]).code).toBe(0);
    const end = recordsEnd(join(data, "journal", segments(data).at(-1)!)).lastSeq;
    expect(end).toBeGreaterThan(m.seq);
    const restored = fresh("restored");
    const r = restore({ from: to, dataDir: restored, journal: join(data, "journal") });
    expect(r.seq).toBe(end);
    expect(r.fromLaterSegments).toBe(end - m.seq);
    const want = bourse(["recover", "--data", data, "--until", String(end)]).stdout;
    const got = bourse(["recover", "--data", restored, "--until", String(end)]).stdout;
    expect(got.match(/state hash \w+/)![0]).toBe(want.match(/state hash \w+/)![0]);

    // Shipped segments that start 10 seqs after the backup's end: a gap.
    const shipped = fresh("shipped");
    mkdirSync(shipped);
    const src = join(data, "journal", segments(data).at(-1)!);
    const cutFrom = recordsEnd(src, { untilSeq: m.seq + 9 }).bytes;
    const gapStart = m.seq + 10;
    writeFileSync(join(shipped, segmentName(gapStart)), readFileSync(src).subarray(cutFrom));
    const target = fresh("restored");
    expect(() => restore({ from: to, dataDir: target, journal: shipped })).toThrow(`ends at seq ${m.seq} and the next segment starts at seq ${gapStart}, so commands ${m.seq + 1}–${gapStart - 1} are in neither`);
    expect(readdirSync(target).filter((f) => f !== "LOCK")).toEqual([]);
  });

  test("segments of another history (same names, other bytes) are refused", async () => {
    const { to } = await backupOf(source);
    const other = fresh("other");
    expect(bourse(["start", "--data", other, "--orders", "5000", "--seed", "7", "--log-format", "json"]).code).toBe(0);
    expect(() => restore({ from: to, dataDir: fresh("restored"), journal: join(other, "journal") })).toThrow(/differ from the backup's: it is another directory's journal/);
  });

  test("--until a seq cuts the journal there; the snapshot goes only if it is at or before it", async () => {
    const { m, to } = await backupOf(source);
    const until = m.snapshotSeq - 1;
    const data = fresh("restored");
    const r = restore({ from: to, dataDir: data, untilSeq: until });
    expect(r.seq).toBe(until);
    expect(r.snapshotSeq).toBeLessThan(until + 1);
    expect(existsSync(join(data, "snapshots", `snapshot-${String(m.snapshotSeq).padStart(20, "0")}.snap`))).toBe(false);
    const got = bourse(["recover", "--data", data, "--until", String(until)]).stdout;
    const want = bourse(["recover", "--data", source, "--until", String(until)]).stdout;
    expect(got.match(/state hash \w+/)![0]).toBe(want.match(/state hash \w+/)![0]);
    expect(() => restore({ from: to, dataDir: fresh("restored"), untilSeq: m.seq + 1 })).toThrow(`journal ends at seq ${m.seq}`);
  });

  test("refuses a non-empty directory without --force; --force moves its contents aside", async () => {
    const { to } = await backupOf(source);
    const data = fresh("restored");
    mkdirSync(data);
    writeFileSync(join(data, "keep-me"), "precious");
    expect(() => restore({ from: to, dataDir: data })).toThrow(/is not empty \(keep-me\).*--force/);
    const r = restore({ from: to, dataDir: data, force: true });
    expect(readFileSync(join(r.movedAside!, "keep-me"), "utf8")).toBe("precious");
    expect(existsSync(join(data, "keep-me"))).toBe(false);
  });

  test("a restore that did not finish leaves its marker: no writer starts there until a restore with --force completes", async () => {
    const { to } = await backupOf(source);
    const data = fresh("restored");
    restore({ from: to, dataDir: data });
    expect(existsSync(join(data, RESTORE_MARKER))).toBe(false);
    // What a restore killed part way (or failing on a full disk) leaves: the marker it writes before the first copy.
    writeFileSync(join(data, RESTORE_MARKER), "restore began\n");
    const refused = bourse(["start", "--data", data, "--orders", "0"]);
    expect(refused.code).toBe(1);
    expect(lines(refused.stderr)).toEqual([expect.stringMatching(/^bourse: data directory .* holds an unfinished restore \(RESTORE-INCOMPLETE is there\).*--force/)]);
    const again = restore({ from: to, dataDir: data, force: true });
    expect(existsSync(join(data, RESTORE_MARKER))).toBe(false);
    expect(existsSync(join(again.movedAside!, RESTORE_MARKER))).toBe(true);
    expect(bourse(["start", "--data", data, "--orders", "0"]).code).toBe(0);
  });

  test("a --from that is not a backup is one line, and the target is not created", async () => {
    const data = fresh("restored");
    const missing = bourse(["restore", "--from", fresh("nothing"), "--data", data]);
    expect(missing.code).toBe(1);
    expect(lines(missing.stderr)).toEqual([expect.stringMatching(/^bourse: backup .* does not exist \(check --from\)$/)]);
    const partial = fresh("partial");
    mkdirSync(partial);
    expect(lines(bourse(["restore", "--from", partial, "--data", data]).stderr)).toEqual([expect.stringMatching(/has no manifest.json: it is not a bourse backup, or the backup did not finish/)]);
    expect(existsSync(data)).toBe(false);
  });

  test("refuses a directory a running exchange holds, in one line naming its pid", async () => {
    const { to } = await backupOf(source);
    const live = fresh("live");
    const server = bourseServe(["--data", live, "--port", "0", "--fix-port", "0", "--log-format", "json"]);
    await server.waitFor(/"msg":"running"/);
    const before = readdirSync(live).sort();
    const r = bourse(["restore", "--from", to, "--data", live]);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^bourse: data directory ${live} is in use by pid ${server.child.pid} on .*: restore never writes into a running exchange's directory`))]);
    expect(readdirSync(live).sort()).toEqual(before);
    server.child.kill("SIGTERM");
    await server.exited;
  });
});
