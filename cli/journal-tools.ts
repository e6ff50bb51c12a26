import { Command, CommandType } from "../engine/commands.ts";
import type { ExchangeConfig } from "../engine/exchange.ts";
import { existsSync, readFileSync } from "node:fs";
import { DataDirMissing } from "../actors/data-dir-errors.ts";
import { liveNote } from "../actors/data-lock.ts";
import { Journal, verifyJournal } from "../actors/journal/journal.ts";
import { paths, recover, stateHash } from "../actors/recovery.ts";
import { RecordReader } from "../actors/layout/command-record.ts";
import { decodeCommand, validateCommandSlot } from "../actors/layout/schema.ts";
import { listSnapshots } from "../actors/snapshot/snapshot-store.ts";

/**
 * Both tools read beside a running server without its lock (they change nothing), and say so:
 * what they read is what was durable when they read it. Returns whether the directory is live.
 */
function openForReading(dataDir: string): boolean {
  if (!existsSync(dataDir)) throw new DataDirMissing(dataDir);
  const note = liveNote(dataDir);
  if (note) console.error(note);
  return note !== null;
}

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(CommandType).map(([k, v]) => [v, k]));

/** `bourse journal inspect`: segments, then one decoded command per line. */
export function journalInspect(dataDir: string, from: number, limit: number): void {
  openForReading(dataDir);
  const dir = paths(dataDir).journal;
  const v = verifyJournal(dir);
  for (const s of v.segments) console.log(`${s.file}  seq ${s.firstSeq}–${s.lastSeq}  ${s.records} records  ${s.bytes} bytes`);
  if (v.problem) console.log(`problem: ${v.problem.kind} in ${v.problem.file} at byte ${v.problem.offset}: ${v.problem.detail}`);
  const journal = Journal.open({ dir, readOnly: true });
  const cmd = new Command();
  const reader = new RecordReader();
  let shown = 0;
  try {
    for (const rec of journal.read(from)) {
      if (shown++ >= limit) break;
      let bad: string | null;
      try {
        const view = reader.slot(rec.payload, rec.seq);
        bad = validateCommandSlot(view, reader.offset);
        decodeCommand(view, reader.offset, cmd);
      } catch (e) {
        console.log(`${rec.seq}  MALFORMED: ${(e as Error).message}`);
        continue;
      }
      const time = new Date(cmd.time / 1000).toISOString();
      const fields = Object.entries(cmd)
        .filter(([k, x]) => k !== "type" && k !== "time" && x !== 0 && x !== "" && x !== 0n)
        .map(([k, x]) => `${k}=${String(x)}`)
        .join(" ");
      console.log(`${rec.seq}  ${time}  ${TYPE_NAMES[cmd.type] ?? cmd.type}  ${fields}${bad ? `  MALFORMED: ${bad}` : ""}`);
    }
  } finally {
    journal.close();
  }
}

/**
 * `bourse journal verify`: every record's length, checksum and order; with `replay`, a full
 * replay from seq 1 (ignoring snapshots) compared with every state hash in hashes.log.
 * Returns the process exit code.
 */
export function journalVerify(dataDir: string, config: ExchangeConfig, replay: boolean): number {
  const live = openForReading(dataDir);
  const dir = paths(dataDir).journal;
  // Listed before the scan: a snapshot is written only once the journal is durable through it, so
  // one that exists now must be reached by the scan that follows, even while a writer runs.
  const newest = listSnapshots(paths(dataDir).snapshots)[0];
  const v = verifyJournal(dir, (done, total) => process.stderr.write(`\rscanned ${done} / ${total} bytes`));
  process.stderr.write("\n");
  console.log(`${v.segments.length} segments, ${v.records} records, seq ${v.firstSeq}–${v.lastSeq}`);
  if (v.problem) {
    // A live writer may be in the middle of a write at the end of the last segment.
    const inFlight = live && v.problem.file === v.segments[v.segments.length - 1]?.file ? " (the directory is live: this may be a write in progress; verify again)" : "";
    console.log(`${v.problem.kind === "torn-tail" ? "torn tail (cut on the next start)" : "CORRUPT"}: ${v.problem.file} at byte ${v.problem.offset}: ${v.problem.detail}${inFlight}`);
    if (v.problem.kind === "corrupt") return 1;
  }
  // Recovery refuses a snapshot the journal does not reach (docs/journal.md); say so here first.
  if (newest && newest.seq > v.lastSeq) {
    console.log(`INCONSISTENT: snapshot ${newest.file} is at seq ${newest.seq} but the journal ends at seq ${v.lastSeq}; do not truncate anything (docs/journal.md, "Repairing a data directory by hand")`);
    return 1;
  }
  if (!replay) return 0;
  const expected = new Map<number, string>();
  let hashFile = true;
  try {
    for (const line of readFileSync(paths(dataDir).hashes, "utf8").split("\n")) {
      const [seq, , hash] = line.split(" ");
      if (seq && hash) expected.set(Number(seq), hash);
    }
  } catch {
    // No hashes written yet: the replay is still a full read and decode of the journal.
    hashFile = false;
  }
  let failures = 0;
  let checked = 0;
  const r = recover({
    dataDir,
    config,
    ignoreSnapshots: true,
    readOnly: true,
    onProgress: (done, total) => process.stderr.write(`\rreplayed ${done} / ${total}`),
    onEvents: (seq, _events, exchange) => {
      const want = expected.get(seq);
      if (want === undefined) return;
      checked++;
      const got = stateHash(exchange);
      if (got !== want) {
        failures++;
        console.log(`\nseq ${seq}: HASH MISMATCH: journal replay ${got}, recorded ${want}`);
      }
    },
  });
  process.stderr.write("\n");
  console.log(`replayed to seq ${r.seq}; ${checked} recorded hashes checked, ${failures === 0 ? "all match" : `${failures} mismatches`}`);
  if (checked === 0) console.log(noHashesWhy(r.seq, hashFile));
  return failures === 0 ? 0 : 1;
}

/**
 * Why a replay checked no hash: they are written at multiples of `hashEvery` (100,000 by default),
 * so a shorter journal has none yet; the replay itself still read and decoded every record.
 */
export function noHashesWhy(lastSeq: number, hashFile: boolean): string {
  const where = hashFile ? "hashes.log has no line at or before it" : "there is no hashes.log yet";
  return `no state hash to compare: the server records one every hashEvery commands (100,000 by default, at seqs 100000, 200000, …); this journal ends at seq ${lastSeq} and ${where}. The replay still decoded and executed every record.`;
}
