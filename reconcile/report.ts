/**
 * The exceptions report: breaks.csv (one row a break, a spreadsheet opens it as is; both records
 * as JSON text in their columns) and breaks.json (what was compared, counts per kind, every break),
 * and the one-line summary a clean run prints with what it compared.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import type { ReconcileResult } from "./reconcile.ts";

export const BREAK_COLUMNS = ["id", "status", "kind", "day", "account", "asset", "amount", "text", "ours", "theirs", "resolution"] as const;

const count = (n: number) => n.toLocaleString("en-US");

/** "2026-05-29: 12,345 executions, 678 cash movements, 9 accounts: 0 breaks" (with "N open breaks, M resolved" once any is resolved). */
export function summaryLine(r: ReconcileResult): string {
  const c = r.compared;
  const parts = [`${count(c.executions)} executions`, `${count(c.cashMovements)} cash movements`, `${count(c.accounts)} accounts`];
  if (c.custody) parts.push(`${count(c.custody.bank)} custody movements`);
  for (const v of c.venues) parts.push(`${count(v.ours)} fills routed to ${v.name} against ${count(v.theirs)} in its drop copy`);
  const n = r.open;
  const kinds = Object.entries(r.counts).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`);
  const breaks = r.resolved > 0 ? `${count(n)} open break${n === 1 ? "" : "s"}, ${count(r.resolved)} resolved` : `${count(n)} break${n === 1 ? "" : "s"}`;
  return `${r.day}: ${parts.join(", ")}: ${breaks}${kinds.length ? ` (${kinds.join(", ")})` : ""}`;
}

/** Notes a reader must see beside the summary (a lagging store, custody rows of other days). */
export function notes(r: ReconcileResult): string[] {
  const c = r.compared;
  const out: string[] = [];
  if (c.lagging) out.push(`note: the history store is written through seq ${c.storeSeq}; the day runs to seq ${c.lastSeq}: compared through seq ${c.comparedThroughSeq} only (run again once the writer has caught up)`);
  if (c.custody && c.custody.outsideDay > 0) out.push(`note: ${c.custody.outsideDay} custody statement row(s) fall outside ${r.day} (with the tolerance) and were not compared`);
  for (const v of c.venues) {
    if (v.outsideDay > 0) out.push(`note: ${v.outsideDay} fill(s) of ${v.name}'s drop copy fall outside ${r.day} (with the tolerance) and were not compared`);
    if (v.afterReplay > 0) out.push(`note: ${v.afterReplay} fill(s) of ${v.name}'s drop copy are later than the history store reaches and were not compared`);
    if (v.margin > 0) out.push(`note: ${v.margin} fill(s) of ${v.name}'s drop copy in the tolerance's margin around ${r.day} met none of ours: the neighbouring day's, not reported`);
  }
  return out;
}

export function breaksCsv(r: ReconcileResult): string {
  const rows = r.breaks.map((b) => [
    b.id, b.resolution ? "resolved" : "open", b.kind, b.day, String(b.account), b.asset, b.amount, b.text,
    b.ours ? JSON.stringify(b.ours) : "", b.theirs ? JSON.stringify(b.theirs) : "", b.resolution ? JSON.stringify(b.resolution) : "",
  ]);
  return stringify(rows, { header: true, columns: [...BREAK_COLUMNS], record_delimiter: "\r\n" });
}

export function breaksJson(r: ReconcileResult): string {
  return `${JSON.stringify({ day: r.day, clean: r.open === 0, summary: summaryLine(r), compared: r.compared, counts: r.counts, open: r.open, resolved: r.resolved, breaks: r.breaks }, null, 2)}\n`;
}

/** Writes breaks.csv and breaks.json into `dir` (made if absent); returns their paths. */
export function writeReport(dir: string, r: ReconcileResult): { csv: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const csv = join(dir, "breaks.csv");
  const json = join(dir, "breaks.json");
  writeFileSync(csv, breaksCsv(r));
  writeFileSync(json, breaksJson(r));
  return { csv, json };
}
