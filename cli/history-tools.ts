/**
 * The operator's history commands: `bourse history status|rebuild|prune` and `bourse statement`
 * (docs/history.md). Status and statements read beside a running exchange; rebuild and prune
 * change the store, so rebuild in place refuses a live data directory, and prune is recorded in
 * the store itself.
 */
import { createWriteStream, existsSync, renameSync, rmSync } from "node:fs";
import { once } from "node:events";
import { liveNote } from "../actors/data-lock.ts";
import { DataDirMissing } from "../actors/data-dir-errors.ts";
import { verifyJournal } from "../actors/journal/journal.ts";
import { OperatorError } from "../actors/operator-error.ts";
import { paths } from "../actors/recovery.ts";
import type { BourseConfig } from "../app/config.ts";
import { DEFAULT_RETENTION_DAYS, describeLocation, type StoreLocation, storeLocation } from "../history/config.ts";
import { openHistoryStore } from "../history/open-store.ts";
import { isoMicros, statementCsv } from "../history/statement.ts";
import type { HistoryStore } from "../history/store.ts";
import { HistoryWriter } from "../history/writer.ts";

const DAY_US = 86_400_000_000;

/** The journal's last durable seq: what the store can cover. */
function journalEnd(dataDir: string): number {
  return verifyJournal(paths(dataDir).journal).lastSeq;
}

async function open(at: StoreLocation, readonly: boolean): Promise<HistoryStore> {
  if (at.kind === "sqlite" && !existsSync(at.file)) throw new OperatorError(`there is no history store at ${at.file}: start the exchange (it writes one), or run bourse history rebuild`);
  try {
    return await openHistoryStore(at, { readonly });
  } catch (e) {
    throw new OperatorError(`cannot open the history store (${describeLocation(at)}): ${(e as Error).message}`, { cause: e });
  }
}

function existing(dataDir: string): void {
  if (!existsSync(dataDir)) throw new DataDirMissing(dataDir);
}

/** `bourse history status`: how far the store is behind the journal, and what it holds. */
export async function historyStatus(dataDir: string, config: BourseConfig, out: (line: string) => void = console.log): Promise<{ seq: number; journal: number; lag: number }> {
  existing(dataDir);
  const note = liveNote(dataDir);
  const at = storeLocation(dataDir, config.history);
  const store = await open(at, true);
  try {
    const progress = await store.progress();
    const journal = journalEnd(dataDir);
    const lag = Math.max(0, journal - progress.seq);
    out(`store     ${describeLocation(at)}`);
    out(`exchange  ${note ? "running" : "stopped"}`);
    out(`written   through seq ${progress.seq}${progress.seq > 0 ? ` (engine time ${isoMicros(progress.time)})` : ""}`);
    out(`journal   ends at seq ${journal}`);
    out(`lag       ${lag} command${lag === 1 ? "" : "s"}${lag > 0 && !note ? " (the writer catches up when the exchange starts)" : ""}`);
    const c = await store.counts();
    out(`rows      orders ${c.orders}, order events ${c.orderEvents}, executions ${c.executions}, cash ${c.cash}, positions ${c.positions}, admin ${c.admin}, candles ${c.candles}`);
    out(`retention ${config.history?.retentionDays ?? DEFAULT_RETENTION_DAYS} days`);
    for (const p of await store.prunes()) out(`pruned    before ${isoMicros(p.before)} by ${p.operator} at ${new Date(p.at).toISOString()}`);
    return { seq: progress.seq, journal, lag };
  } finally {
    await store.close();
  }
}

/**
 * `bourse history rebuild`: the store made again from the journal alone, from seq 1. Into `--out
 * FILE` (a SQLite file, beside whatever is there), or in place of the configured store — then the
 * exchange must be stopped, and a SQLite store is built aside and renamed over the old one only
 * once it is whole. Rows are keyed by seq, so a rebuild writes exactly the rows the live writer did.
 */
export async function historyRebuild(dataDir: string, config: BourseConfig, outFile: string | undefined, progress: (line: string) => void = (l) => console.error(l)): Promise<number> {
  existing(dataDir);
  const inPlace = outFile === undefined;
  const note = liveNote(dataDir);
  if (inPlace && note) throw new OperatorError(`data directory ${dataDir} is live: stop the exchange before rebuilding its history store in place, or rebuild into another file with --out FILE`);
  const configured = storeLocation(dataDir, config.history);
  const target: StoreLocation = outFile !== undefined ? { kind: "sqlite", file: outFile } : configured.kind === "sqlite" ? { kind: "sqlite", file: `${configured.file}.rebuild` } : configured;
  if (target.kind === "sqlite") for (const suffix of ["", "-wal", "-shm"]) rmSync(target.file + suffix, { force: true });
  const store = await openHistoryStore(target);
  const end = journalEnd(dataDir);
  let seq = 0;
  try {
    if (target.kind === "postgres") await store.reset();
    const writer = await HistoryWriter.open({ dataDir, config: config.exchange, store, batchRows: config.history?.batchRows }, end);
    const started = Date.now();
    try {
      for (let next = Math.min(end, 50_000); ; next = Math.min(end, next + 50_000)) {
        seq = await writer.catchUp(next);
        const pct = end === 0 ? 100 : Math.floor((seq / end) * 100);
        progress(`rebuilt through seq ${seq} of ${end} (${pct}%, ${writer.rowsWritten} rows, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
        if (seq >= end) break;
      }
    } finally {
      writer.close();
    }
  } finally {
    await store.close();
  }
  if (inPlace && target.kind === "sqlite" && configured.kind === "sqlite") {
    for (const suffix of ["-wal", "-shm"]) rmSync(configured.file + suffix, { force: true });
    renameSync(target.file, configured.file);
    for (const suffix of ["-wal", "-shm"]) rmSync(target.file + suffix, { force: true });
  }
  progress(`history store rebuilt: ${describeLocation(outFile !== undefined ? target : configured)}, through seq ${seq}`);
  return seq;
}

/**
 * `bourse history prune`: removes rows older than the retention period (or than `before`, which
 * must not be inside it), and records the prune in the store. Engine time is µs since the epoch.
 */
export async function historyPrune(dataDir: string, config: BourseConfig, before: number | undefined, operator: string, now = Date.now() * 1000, out: (line: string) => void = console.log): Promise<void> {
  existing(dataDir);
  const days = config.history?.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const line = now - days * DAY_US;
  if (before !== undefined && before > line) {
    throw new OperatorError(`--before ${isoMicros(before)} is inside the retention period (${days} days: rows from ${isoMicros(line)} on are kept); choose an earlier time or change history.retentionDays in the config`);
  }
  const store = await open(storeLocation(dataDir, config.history), false);
  try {
    const r = await store.prune(before ?? line, operator);
    const n = r.removed;
    out(`pruned rows before ${isoMicros(r.before)} (recorded, by ${operator}): orders ${n.orders}, order events ${n.orderEvents}, executions ${n.executions}, cash ${n.cash}, positions ${n.positions}, admin ${n.admin}, candles ${n.candles}`);
  } finally {
    await store.close();
  }
}

/** `bourse statement`: the account's CSV statement for [from, to), to a file or stdout, streamed. */
export async function statement(dataDir: string, config: BourseConfig, account: number, from: number, to: number, outFile: string | undefined): Promise<void> {
  existing(dataDir);
  if (to <= from) throw new OperatorError(`--to ${isoMicros(to)} must be after --from ${isoMicros(from)}`);
  const store = await open(storeLocation(dataDir, config.history), true);
  try {
    const progress = await store.progress();
    if (progress.time < to && liveNote(dataDir) === null && journalEnd(dataDir) > progress.seq) {
      console.error(`note: the history store is behind the journal (seq ${progress.seq} of ${journalEnd(dataDir)}); the statement covers what it holds — start the exchange or run bourse history rebuild`);
    }
    const sink = outFile === undefined ? process.stdout : createWriteStream(outFile);
    for await (const chunk of statementCsv(store, config.exchange, { account, from, to })) {
      // Backpressure: a slow disk or pipe holds the reading, so memory stays one chunk.
      if (!sink.write(chunk)) await once(sink, "drain");
    }
    if (outFile !== undefined) {
      sink.end();
      await once(sink, "finish");
    }
  } finally {
    await store.close();
  }
}
