/**
 * bench/history.ts, offline: one journal written by a real embedded Runtime, then the history
 * writer's catch-up over all of it into each backend, the same catch-up into a store that writes
 * nothing (replay and row building alone), the store's write of the same batches without the replay,
 * and a bare batched insert of the same rows into a fresh copy of the same tables.
 */
import { insertSql, ROW_TABLE, type RowTable, type RowTableName } from "../history/row-tables.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { JournalFollower } from "../actors/journal/journal-follower.ts";
import { Runtime } from "../actors/runtime.ts";
import { PostgresHistoryStore } from "../history/postgres-store.ts";
import type { RowBatch } from "../history/rows.ts";
import { SqliteHistoryStore } from "../history/sqlite-store.ts";
import type { HistoryStore, Progress } from "../history/store.ts";
import type { MonitorStateRow } from "../history/monitoring/alerts.ts";
import { HistoryWriter } from "../history/writer.ts";
import { burstRun } from "./pipeline-drive.ts";
import { gc, runtimeLog } from "./pipeline-options.ts";
import { buildStream, type Stream } from "./pipeline-trials.ts";
import { copyBatch, ThrowawayDb } from "./history-pg.ts";
import type { Options } from "./history-options.ts";

export const TABLE_KEYS = ["orders", "orderEvents", "executions", "cash", "positions", "admin", "candles"] as const;
export type TableKey = (typeof TABLE_KEYS)[number];

/**
 * The measurement baseline: the writer's catch-up with the database taken out. A store that is
 * empty (progress 0) is asked only for progress() and write() by HistoryWriter.open and catchUp
 * (tradesSinceDayStart reads nothing at seq 0), so that is all this implements; `keep` holds the
 * batches for the passes that write the same rows without replaying.
 */
class NullStore implements Pick<HistoryStore, "backend" | "progress" | "write" | "monitorState" | "close"> {
  readonly backend = "sqlite" as const;
  readonly kept: RowBatch[] = [];
  readonly rows: Record<TableKey, number> = { orders: 0, orderEvents: 0, executions: 0, cash: 0, positions: 0, admin: 0, candles: 0 };
  constructor(private readonly keep: boolean) {}
  async progress(): Promise<Progress> {
    return { seq: 0, time: 0 };
  }
  async write(b: RowBatch): Promise<void> {
    if (!this.keep) return;
    this.kept.push(b);
    for (const k of TABLE_KEYS) this.rows[k] += b[k].length;
  }
  async monitorState(): Promise<MonitorStateRow[]> {
    return [];
  }
  async close(): Promise<void> {}
}

export interface Journaled {
  stream: Stream;
  dir: string;
  /** Commands in the journal (= its last seq). */
  commands: number;
  /** The batches the writer builds from it, and their rows per table. */
  batches: RowBatch[];
  rows: number;
  byTable: Record<TableKey, number>;
}

/** The first batches of a journal, through the seq where one of them ends: what the PostgreSQL passes write (the writer's batches end at the same seqs when it is told to stop there). */
export function prefix(j: Journaled, commands: number): Journaled {
  const k = j.batches.findIndex((b) => b.toSeq >= commands);
  const batches = k < 0 ? j.batches : j.batches.slice(0, k + 1);
  const byTable = Object.fromEntries(TABLE_KEYS.map((t) => [t, batches.reduce((a, b) => a + b[t].length, 0)])) as Record<TableKey, number>;
  return { ...j, commands: batches[batches.length - 1]!.toSeq, batches, rows: batches.reduce((a, b) => a + b.rows, 0), byTable };
}

/** The demo config's seed commands and the pipeline's load stream, executed and journaled by an embedded Runtime (fsync off: the journal's content is what matters here). */
export async function writeJournal(o: Options): Promise<Journaled> {
  const stream = buildStream({ ...o.pipe, warmup: 0 });
  const dir = mkdtempSync(join(o.pipe.dir, "bourse-history-bench-"));
  const rt = Runtime.start({ config: stream.config.exchange, dataDir: dir, fsync: false, hashEvery: 0, snapshotEvery: 0, log: runtimeLog });
  try {
    await burstRun(rt, stream.cmds, 0, stream.to, o.pipe.burst);
  } finally {
    rt.close();
  }
  const commands = stream.to;
  // Untimed: the writer's batches kept, for the store-alone and bare passes.
  const keep = new NullStore(true);
  await catchUp(dir, stream, keep as unknown as HistoryStore, commands, o.batchRows);
  return { stream, dir, commands, batches: keep.kept, rows: keep.kept.reduce((a, b) => a + b.rows, 0), byTable: keep.rows };
}

export interface Pass {
  ns: number;
  commands: number;
  rows: number;
}

/** HistoryWriter.open (untimed), then catchUp(0 → commands) timed. */
async function catchUp(dir: string, s: Stream, store: HistoryStore, commands: number, batchRows: number, count = false): Promise<Pass> {
  const w = await HistoryWriter.open({ dataDir: dir, config: s.config.exchange, store, batchRows }, commands);
  try {
    gc();
    const t0 = Bun.nanoseconds();
    const seq = await w.catchUp(commands);
    const ns = Bun.nanoseconds() - t0;
    if (seq !== commands) throw new Error(`the writer stopped at seq ${seq} of ${commands}`);
    return { ns, commands, rows: count ? await stored(store) : w.rowsWritten };
  } finally {
    w.close();
  }
}

/** The journal's replay alone (a JournalFollower from seq 0, no rows built): the share of the replay in the writer's time. */
export async function followOnly(j: Journaled): Promise<Pass> {
  const f = JournalFollower.open({ dataDir: j.dir, config: j.stream.config.exchange, atOrBefore: 0 });
  try {
    gc();
    const t0 = Bun.nanoseconds();
    const seq = f.advance(j.commands);
    const ns = Bun.nanoseconds() - t0;
    if (seq !== j.commands) throw new Error(`the follower stopped at seq ${seq} of ${j.commands}`);
    return { ns, commands: j.commands, rows: 0 };
  } finally {
    f.close();
  }
}

/** The writer with the database taken out: replay + row building. */
export function replayOnly(j: Journaled, o: Options): Promise<Pass> {
  return catchUp(j.dir, j.stream, new NullStore(false) as unknown as HistoryStore, j.commands, o.batchRows);
}

/** The writer into a fresh SQLite file (WAL, synchronous NORMAL, as the store opens it). */
export async function writerSqlite(j: Journaled, o: Options): Promise<Pass> {
  const file = join(j.dir, `writer-${crypto.randomUUID()}.db`);
  const store = new SqliteHistoryStore(file);
  try {
    return await catchUp(j.dir, j.stream, store, j.commands, o.batchRows, true);
  } finally {
    await store.close();
    rmSqlite(file);
  }
}

/** The writer into a fresh PostgreSQL database. */
export async function writerPostgres(j: Journaled, o: Options): Promise<Pass> {
  const db = await ThrowawayDb.create(o.adminUrl, "writer");
  try {
    const store = await PostgresHistoryStore.open(db.url);
    try {
      return await catchUp(j.dir, j.stream, store, j.commands, o.batchRows, true);
    } finally {
      await store.close();
    }
  } finally {
    await db.drop();
  }
}

/** The store's own write() of the writer's batches, without the replay (the database's share). */
export async function storeAlone(j: Journaled, backend: "sqlite" | "postgres", o: Options): Promise<Pass> {
  return backend === "sqlite"
    ? withSqlite(j, async (file) => {
        const store = new SqliteHistoryStore(file);
        try {
          return await timeBatches(j, store, (b) => store.write(b));
        } finally {
          await store.close();
        }
      })
    : withPostgres(o, async (url) => {
        const store = await PostgresHistoryStore.open(url);
        try {
          return await timeBatches(j, store, (b) => store.write(b));
        } finally {
          await store.close();
        }
      });
}

/**
 * The bare baseline, same rows into a fresh copy of the same tables (same keys and indexes), one
 * transaction per writer batch (~batchRows rows): SQLite, one prepared plain INSERT per table;
 * PostgreSQL, one COPY … FROM STDIN per table (Bun.sql's writable()), the fastest path it has.
 */
export async function bareInsert(j: Journaled, backend: "sqlite" | "postgres", o: Options): Promise<Pass> {
  if (backend === "postgres") {
    return withPostgres(o, async (url) => {
      // Opening the store creates the tables; the COPYs go through its pool (search_path set).
      const store = await PostgresHistoryStore.open(url);
      try {
        return await timeBatches(j, store, (b) => copyBatch(store.sql, b));
      } finally {
        await store.close();
      }
    });
  }
  return withSqlite(j, async (file) => {
    const store = new SqliteHistoryStore(file);
    const db = store.db;
    // The same columns and values as the store's write, through a plain INSERT: no ON CONFLICT.
    const inserts = (Object.keys(ROW_TABLE) as RowTableName[]).map((name) => [name, db.prepare(insertSql(ROW_TABLE[name] as RowTable<never>))] as const);
    const tx = db.transaction((b: RowBatch) => {
      for (const [name, stmt] of inserts) {
        const t = ROW_TABLE[name] as RowTable<unknown>;
        for (const r of b[name] as readonly unknown[]) stmt.run(...t.values(r));
      }
    });
    try {
      return await timeBatches(j, store, async (b) => void tx(b));
    } finally {
      await store.close();
    }
  });
}

async function timeBatches(j: Journaled, store: HistoryStore, write: (b: RowBatch) => Promise<void>): Promise<Pass> {
  gc();
  const t0 = Bun.nanoseconds();
  for (const b of j.batches) await write(b);
  const ns = Bun.nanoseconds() - t0;
  return { ns, commands: j.commands, rows: await stored(store) };
}

/** Rows in the store's tables, counted after the timed part: a pass must have stored every row it was given. */
async function stored(store: HistoryStore): Promise<number> {
  const c = await store.counts();
  return c.orders + c.orderEvents + c.executions + c.cash + c.positions + c.admin + c.candles;
}

async function withSqlite(j: Journaled, f: (file: string) => Promise<Pass>): Promise<Pass> {
  const file = join(j.dir, `bare-${crypto.randomUUID()}.db`);
  try {
    return await f(file);
  } finally {
    rmSqlite(file);
  }
}

async function withPostgres(o: Options, f: (url: string) => Promise<Pass>): Promise<Pass> {
  const db = await ThrowawayDb.create(o.adminUrl, "bare");
  try {
    return await f(db.url);
  } finally {
    await db.drop();
  }
}

function rmSqlite(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
}
