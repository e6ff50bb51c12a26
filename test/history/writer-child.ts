/**
 * A history writer in a process of its own, for the crash test: catches up with the journal in
 * `dataDir` in small batches, saying "batch <seq>" after each, until killed or done.
 * usage: bun writer-child.ts <dataDir> <sqlite file> <batchRows>
 */
import { verifyJournal } from "../../actors/journal/journal.ts";
import { paths } from "../../actors/recovery.ts";
import { SqliteHistoryStore } from "../../history/sqlite-store.ts";
import { HistoryWriter } from "../../history/writer.ts";
import { demoConfig } from "./journal-fixture.ts";

const [dataDir, file, rows] = process.argv.slice(2);
const end = verifyJournal(paths(dataDir!).journal).lastSeq;
const store = new SqliteHistoryStore(file!);
const w = await HistoryWriter.open({ dataDir: dataDir!, config: demoConfig.exchange, store, batchRows: Number(rows) }, end);
for (let next = w.seq + 50; w.seq < end; next += 50) {
  await w.catchUp(Math.min(end, next));
  console.log(`batch ${w.seq}`);
}
console.log("done");
