/**
 * A data directory with one scripted trading day and its history store written to the end by the
 * history writer, as reconciliation finds it after a day's trading: the demo config's seeding on
 * 2026-05-28, then `n` commands of the random multi-account load (trades, deposits, withdrawals,
 * position moves) on 2026-05-29 (test/history/journal-fixture.ts).
 */
import { join } from "node:path";
import { HistoryWriter } from "../../history/writer.ts";
import { SqliteHistoryStore } from "../../history/sqlite-store.ts";
import { demoConfig, journaled } from "../history/journal-fixture.ts";

export const DAY = "2026-05-29";
export const PREVIOUS_DAY = "2026-05-28";

export interface ScriptedDay {
  dir: string;
  store: SqliteHistoryStore;
  storeFile: string;
  lastSeq: number;
}

export async function scriptedDay(dirs: string[], n: number, seed = 7): Promise<ScriptedDay> {
  const { dir, cmds } = journaled(dirs, n, seed);
  const storeFile = join(dir, "history.db");
  const store = new SqliteHistoryStore(storeFile);
  const writer = await HistoryWriter.open({ dataDir: dir, config: demoConfig.exchange, store }, cmds.length);
  try {
    await writer.catchUp(cmds.length);
  } finally {
    writer.close();
  }
  return { dir, store, storeFile, lastSeq: cmds.length };
}
