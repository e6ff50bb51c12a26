/**
 * `bourse reconcile --date D` (docs/reconciliation.md): reads the journal and the history store
 * beside a running exchange, as the history and journal tools do — no lock taken, nothing changed,
 * and the note that the directory is live when it is — prints the summary, logs each break at
 * error level, and writes breaks.csv and breaks.json to --out.
 *
 * Exit codes are the report's, so a scheduler can act on them: 0 clean, 1 breaks found, 2 the run
 * itself failed (nothing compared can be trusted).
 */
import { existsSync } from "node:fs";
import { DataDirMissing } from "../actors/data-dir-errors.ts";
import { liveNote } from "../actors/data-lock.ts";
import { OperatorError } from "../actors/operator-error.ts";
import type { BourseConfig } from "../app/config.ts";
import { describeLocation, storeLocation } from "../history/config.ts";
import { openHistoryStore } from "../history/open-store.ts";
import type { Logger } from "../log/logger.ts";
import { Assets } from "../reconcile/assets.ts";
import { readCustodyStatement } from "../reconcile/custody-statement.ts";
import type { Movement } from "../reconcile/custody-match.ts";
import { utcDay } from "../reconcile/day.ts";
import { reconcile } from "../reconcile/reconcile.ts";
import { notes, summaryLine, writeReport } from "../reconcile/report.ts";

/** A failure of the run itself: exit code 2, since 1 means "breaks found". */
export class ReconcileFailed extends OperatorError {
  override readonly exitCode: number = 2;
}

export interface ReconcileCommand {
  dataDir: string;
  config: BourseConfig;
  date: string;
  custody?: string;
  toleranceSeconds: number;
  out: string;
  log: Logger;
  print?: (line: string) => void;
}

export async function reconcileCommand(c: ReconcileCommand): Promise<number> {
  const print = c.print ?? console.log;
  try {
    return await run(c, print);
  } catch (e) {
    if (e instanceof ReconcileFailed) throw e;
    throw new ReconcileFailed(`reconcile ${c.date}: ${(e as Error).message}`, { cause: e });
  }
}

async function run(c: ReconcileCommand, print: (line: string) => void): Promise<number> {
  if (!existsSync(c.dataDir)) throw new DataDirMissing(c.dataDir);
  const note = liveNote(c.dataDir);
  if (note) console.error(note);
  const day = utcDay(c.date);
  const assets = new Assets(c.config.exchange);
  // The statement is read (and refused) before the replay starts.
  const custody: Movement[] | undefined = c.custody === undefined ? undefined : readCustodyStatement(c.custody, assets);
  const at = storeLocation(c.dataDir, c.config.history);
  if (at.kind === "sqlite" && !existsSync(at.file)) throw new ReconcileFailed(`there is no history store at ${at.file}: start the exchange (it writes one), or run bourse history rebuild`);
  let store;
  try {
    store = await openHistoryStore(at, { readonly: true });
  } catch (e) {
    throw new ReconcileFailed(`cannot open the history store (${describeLocation(at)}): ${(e as Error).message}`, { cause: e });
  }
  try {
    const result = await reconcile({
      dataDir: c.dataDir,
      config: c.config.exchange,
      store,
      day,
      custody,
      custodyToleranceUs: c.toleranceSeconds * 1_000_000,
      // The records are the exchange's own rows: account ids, amounts, seqs; never a key or secret.
      onBreak: (b) => c.log.error("reconciliation break", { breakId: b.id, kind: b.kind, day: b.day, account: b.account, asset: b.asset, amount: b.amount, text: b.text }),
    });
    const files = writeReport(c.out, result);
    const line = summaryLine(result);
    print(line);
    for (const n of notes(result)) print(n);
    print(`report: ${files.csv}, ${files.json}`);
    if (result.breaks.length > 0) c.log.error("reconciliation found breaks", { day: result.day, breaks: result.breaks.length, counts: result.counts });
    else c.log.info("reconciliation clean", { day: result.day, summary: line });
    return result.breaks.length > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}
