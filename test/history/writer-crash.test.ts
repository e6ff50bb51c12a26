/**
 * The writer after the worst: killed with SIGKILL in the middle of its batches, it resumes exactly
 * (no gap, no duplicate: the store ends equal, row for row, to one written in one go); and a
 * PostgreSQL server stopped and started under it while it writes loses nothing — the writer says
 * the database went away and came back, once each, and its store ends equal to SQLite's.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { PostgresHistoryStore } from "../../history/postgres-store.ts";
import { SqliteHistoryStore } from "../../history/sqlite-store.ts";
import type { HistoryStore } from "../../history/store.ts";
import { HistoryWriter } from "../../history/writer.ts";
import { dumpStore } from "./dump-store.ts";
import { demoConfig, journaled } from "./journal-fixture.ts";
import { OwnPostgres } from "./own-postgres.ts";
import { waitFor } from "../gateway/support/harness.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const symbols = demoConfig.exchange.instruments.map((i) => i.id);
const accounts = [0, ...(demoConfig.accounts ?? []).map((a) => a.id)];

async function oneGo(dir: string, end: number): Promise<SqliteHistoryStore> {
  const s = new SqliteHistoryStore(path.join(dir, "one-go.db"));
  const w = await HistoryWriter.open({ dataDir: dir, config: demoConfig.exchange, store: s }, end);
  await w.catchUp(end);
  w.close();
  return s;
}

test("SIGKILL mid-batch, then a new writer: the store equals one written in one go", async () => {
  const { dir, cmds } = journaled(dirs, 4000, 13);
  const file = path.join(dir, "killed.db");
  const child = Bun.spawn([process.execPath, path.join(import.meta.dir, "writer-child.ts"), dir, file, "97"], { stdout: "pipe", stderr: "inherit" });
  // Killed once it has committed a few batches and is in the middle of more.
  const reader = child.stdout.getReader();
  let seen = "";
  while ((seen.match(/batch/g) ?? []).length < 5) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
  }
  child.kill("SIGKILL");
  await child.exited;
  expect(seen).not.toContain("done");
  const killed = new SqliteHistoryStore(file);
  const at = (await killed.progress()).seq;
  expect(at).toBeGreaterThan(0);
  expect(at).toBeLessThan(cmds.length);
  const w = await HistoryWriter.open({ dataDir: dir, config: demoConfig.exchange, store: killed, batchRows: 97 }, cmds.length);
  await w.catchUp(cmds.length);
  w.close();
  const whole = await oneGo(dir, cmds.length);
  expect(await dumpStore(killed, symbols, accounts)).toEqual(await dumpStore(whole, symbols, accounts));
  await killed.close();
  await whole.close();
});

describe("PostgreSQL stopped and started during a load", () => {
  let pg: OwnPostgres;
  beforeAll(async () => {
    pg = await OwnPostgres.create();
  });
  afterAll(() => pg.remove());

  test("the writer retries the batch in hand until the server is back: nothing lost, nothing twice; down and up said once", async () => {
    const { dir, cmds } = journaled(dirs, 3000, 17);
    const store: HistoryStore = await PostgresHistoryStore.open(pg.url);
    const said: string[] = [];
    const w = await HistoryWriter.open({ dataDir: dir, config: demoConfig.exchange, store, batchRows: 150, retryMs: 50, maxRetryMs: 200, onDown: () => said.push("down"), onUp: () => said.push("up") }, cmds.length);
    await w.catchUp(1000);
    pg.stop();
    const rest = w.catchUp(cmds.length);
    // The writer notices the server is gone on its next write; start it again only then.
    expect(await waitFor(() => w.down, 10_000)).toBe(true);
    pg.start();
    expect(await rest).toBe(cmds.length);
    w.close();
    expect(said).toEqual(["down", "up"]);
    const whole = await oneGo(dir, cmds.length);
    expect(await dumpStore(store, symbols, accounts)).toEqual(await dumpStore(whole, symbols, accounts));
    await store.close();
    await whole.close();
  });
});
