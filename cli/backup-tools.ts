/**
 * `bourse backup` and `bourse restore` (docs/backup.md): the operator's lines around backup/.
 * Progress goes to stderr, the result to stdout; a secret's name may appear (master.key), its
 * bytes never do.
 */
import { readFileSync } from "node:fs";
import { existingDataDir } from "./data-dir.ts";
import type { BourseConfig } from "../app/config.ts";
import { takeBackup } from "../backup/backup.ts";
import { restore } from "../backup/restore.ts";

const iso = (us: number) => (us > 0 ? new Date(us / 1000).toISOString() : "-");

function version(): string {
  return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

export async function backupCommand(o: { dataDir: string; to: string; config: BourseConfig; configFile: string }, out: (line: string) => void = console.log): Promise<number> {
  existingDataDir(o.dataDir);
  const t0 = performance.now();
  const m = await takeBackup({ dataDir: o.dataDir, to: o.to, configFile: o.configFile, history: o.config.history, bourseVersion: version(), progress: (l) => console.error(l) });
  const bytes = m.files.reduce((n, f) => n + f.bytes, 0);
  out(`backup ${o.to}: seq ${m.seq} (time ${iso(m.time)}), snapshot ${m.snapshotSeq}, journal ${m.journalFirstSeq}–${m.seq}, ${m.files.length} files, ${bytes} bytes, ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  if (m.history.kind === "sqlite") out(`history store through seq ${m.history.seq}${m.history.seq < m.seq ? ` (${m.seq - m.history.seq} behind the journal: the writer catches up from the journal after a restore)` : ""}`);
  for (const s of m.skipped) out(`not carried: ${s.path} (${s.why})`);
  return 0;
}

export function restoreCommand(
  o: { from: string; dataDir: string; until?: { untilSeq?: number; untilTime?: number }; journal?: string; force: boolean; config: BourseConfig },
  out: (line: string) => void = console.log,
): number {
  const t0 = performance.now();
  const r = restore({ from: o.from, dataDir: o.dataDir, ...o.until, journal: o.journal, force: o.force, history: o.config.history, progress: (l) => console.error(l) });
  if (r.movedAside) out(`moved the previous contents of ${o.dataDir} to ${r.movedAside}`);
  out(`restored ${o.dataDir} to seq ${r.seq} (time ${iso(r.time)}): backup seq ${r.backupSeq}${r.fromLaterSegments > 0 ? ` + ${r.fromLaterSegments} commands from ${o.journal}` : ""}${r.snapshotSeq > 0 ? `, snapshot ${r.snapshotSeq}` : ", no snapshot (replayed from seq 1 at start)"}, ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  if (r.seq < r.backupSeq) out(`point in time: the ${r.backupSeq - r.seq} commands after seq ${r.seq} in the backup are not in ${o.dataDir}`);
  out(r.history.restored ? `history store through seq ${r.history.seq}; the writer catches up from the journal at start` : `history store not restored: ${r.history.why}`);
  out(`start it: bourse serve --data ${o.dataDir}`);
  return 0;
}
