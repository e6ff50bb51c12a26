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
import { Journal } from "../actors/journal/journal.ts";
import { RecordReader } from "../actors/layout/command-record.ts";
import { decodeCommand } from "../actors/layout/schema.ts";
import { paths } from "../actors/recovery.ts";
import type { BourseConfig } from "../app/config.ts";
import { Command, CommandType } from "../engine/commands.ts";
import type { HistoryStore, Resolution } from "../history/store.ts";
import { describeLocation, storeLocation } from "../history/config.ts";
import { openHistoryStore } from "../history/open-store.ts";
import type { Logger } from "../log/logger.ts";
import { Assets } from "../reconcile/assets.ts";
import { readCustodyStatement } from "../reconcile/custody-statement.ts";
import type { Movement } from "../reconcile/custody-match.ts";
import { utcDay } from "../reconcile/day.ts";
import { reconcile } from "../reconcile/reconcile.ts";
import { notes, summaryLine, writeReport } from "../reconcile/report.ts";
import type { VenueSide } from "../reconcile/venue-vs-ours.ts";
import { venueOf } from "../app/routed-venue.ts";

/** A failure of the run itself: exit code 2, since 1 means "breaks found". */
export class ReconcileFailed extends OperatorError {
  override readonly exitCode: number = 2;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ReconcileFailed";
  }
}

export interface ReconcileCommand {
  dataDir: string;
  config: BourseConfig;
  date: string;
  custody?: string;
  toleranceSeconds: number;
  /** A venue of the config and its drop copy (docs/reconciliation.md). */
  venue?: string;
  dropCopy?: string;
  venueToleranceSeconds?: number;
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

async function openStore(dataDir: string, config: BourseConfig, readonly: boolean): Promise<HistoryStore> {
  const at = storeLocation(dataDir, config.history);
  if (at.kind === "sqlite" && !existsSync(at.file)) throw new ReconcileFailed(`there is no history store at ${at.file}: start the exchange (it writes one), or run bourse history rebuild`);
  try {
    return await openHistoryStore(at, { readonly });
  } catch (e) {
    throw new ReconcileFailed(`cannot open the history store (${describeLocation(at)}): ${(e as Error).message}`, { cause: e });
  }
}

/** The command types an operator corrects a break with: they move cash or securities in or out. */
const ADJUSTMENTS: ReadonlySet<number> = new Set([CommandType.DEPOSIT, CommandType.WITHDRAW, CommandType.APPROVE_WITHDRAWAL, CommandType.DEPOSIT_POSITION, CommandType.WITHDRAW_POSITION]);

export interface ResolveCommand {
  dataDir: string;
  config: BourseConfig;
  breakId: string;
  /** --accept REASON, or --adjusted SEQ (with --reason). */
  accept?: string;
  adjustedSeq?: number;
  reason?: string;
  operator: string;
  print?: (line: string) => void;
}

/**
 * `bourse reconcile resolve BREAK_ID --accept "reason" | --adjusted SEQ [--reason TEXT]`: records the
 * operator's resolution in the history store. An adjustment must name a journaled command that
 * moves cash or securities (the correction itself is made as any deposit or withdrawal is, and so
 * is journaled); nothing else is changed. A break already resolved keeps its first resolution.
 */
export async function resolveCommand(c: ResolveCommand): Promise<number> {
  const print = c.print ?? console.log;
  if (!existsSync(c.dataDir)) throw new DataDirMissing(c.dataDir);
  if (c.adjustedSeq !== undefined) {
    const type = journaledType(c.dataDir, c.adjustedSeq);
    if (type === null) throw new ReconcileFailed(`--adjusted ${c.adjustedSeq}: the journal has no command with that seq`);
    if (!ADJUSTMENTS.has(type)) throw new ReconcileFailed(`--adjusted ${c.adjustedSeq}: that command is a ${TYPE_NAMES[type] ?? type}, not a deposit or withdrawal of cash or securities`);
  }
  const store = await openStore(c.dataDir, c.config, false);
  try {
    const wanted: Resolution = {
      breakId: c.breakId,
      action: c.adjustedSeq !== undefined ? "adjusted" : "accepted",
      reason: c.adjustedSeq !== undefined ? (c.reason ?? "") : c.accept!,
      commandSeq: c.adjustedSeq ?? 0,
      operator: c.operator,
      at: Date.now(),
    };
    const r = await store.resolve(wanted);
    const what = `${r.action}${r.action === "adjusted" ? ` by seq ${r.commandSeq}` : ""}${r.reason ? ` (${r.reason})` : ""}, by ${r.operator} at ${new Date(r.at).toISOString()}`;
    if (r.at !== wanted.at || r.operator !== wanted.operator || r.action !== wanted.action) {
      throw new ReconcileFailed(`break ${c.breakId} was already resolved: ${what}; a resolution is recorded once`);
    }
    print(`break ${c.breakId} resolved: ${what}`);
    return 0;
  } finally {
    await store.close();
  }
}

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(CommandType).map(([k, v]) => [v, k]));

/** The type of the journaled command `seq`, or null when the journal has none. */
function journaledType(dataDir: string, seq: number): number | null {
  const journal = Journal.open({ dir: paths(dataDir).journal, readOnly: true });
  try {
    const cmd = new Command();
    const reader = new RecordReader();
    let type: number | null = null;
    journal.each(seq, seq, (s, buf, start, length) => {
      decodeCommand(reader.slotAt(buf, start, length, s), reader.offset, cmd);
      type = cmd.type;
    });
    return type;
  } finally {
    journal.close();
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
  let venue: VenueSide | undefined;
  if (c.venue !== undefined) {
    try {
      venue = { ...venueOf(c.config.venues, c.config.exchange.instruments, c.venue), dropCopy: c.dropCopy!, toleranceUs: (c.venueToleranceSeconds ?? 5) * 1_000_000 };
    } catch (e) {
      throw new ReconcileFailed(`--venue ${c.venue}: ${(e as Error).message}`);
    }
  }
  const store = await openStore(c.dataDir, c.config, true);
  try {
    const result = await reconcile({
      venues: venue ? [venue] : [],
      dataDir: c.dataDir,
      config: c.config.exchange,
      store,
      day,
      custody,
      custodyToleranceUs: c.toleranceSeconds * 1_000_000,
      // The records are the exchange's own rows: account ids, amounts, seqs; never a key or secret.
      onBreak: (b) => {
        const fields = { breakId: b.id, kind: b.kind, day: b.day, account: b.account, asset: b.asset, amount: b.amount, text: b.text };
        if (b.resolution === null) c.log.error("reconciliation break", fields);
        else c.log.info("reconciliation break resolved", { ...fields, action: b.resolution.action, operator: b.resolution.operator });
      },
    });
    const files = writeReport(c.out, result);
    const line = summaryLine(result);
    print(line);
    for (const n of notes(result)) print(n);
    print(`report: ${files.csv}, ${files.json}`);
    if (result.open > 0) c.log.error("reconciliation found breaks", { day: result.day, open: result.open, resolved: result.resolved, counts: result.counts });
    else c.log.info("reconciliation clean", { day: result.day, summary: line });
    return result.open > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}
