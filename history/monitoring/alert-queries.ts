/**
 * The alert reads and writes both stores make, described once with `?` placeholders (the
 * PostgreSQL store numbers them: history/stream-queries.ts `numbered`), as the statement streams are.
 */
import { n, type Row } from "../row-mappers.ts";
import { decodeCursor, encodeCursor, type Page, pageLimit } from "../store.ts";
import { type AlertQuery, type AlertView, alertId } from "./alerts.ts";

const FAR = Number.MAX_SAFE_INTEGER;

const VIEW = "SELECT a.*, k.acked_by, k.acked_at, k.note FROM alerts a LEFT JOIN alert_acks k ON k.seq = a.seq AND k.rule = a.rule AND k.account = a.account";

/** Newest first, by key, `limit + 1` rows (history/row-mappers.ts page()). */
export function alertListQuery(q: AlertQuery): { sql: string; params: number[]; limit: number } {
  const limit = pageLimit(q.limit);
  const after = decodeCursor(q.cursor, 3);
  const where = ["(a.seq, a.rule, a.account) < (?, ?, ?)", "a.time >= ?", "a.time < ?"];
  const params = [...(after ?? [FAR, 0, 0]), q.from ?? 0, q.to ?? FAR];
  for (const [col, v] of [["a.account", q.account], ["a.rule", q.rule]] as const) {
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v)) throw new RangeError(`${col.slice(2)} must be a whole number`);
    where.push(`${col} = ?`);
    params.push(v);
  }
  if (q.state === "open") where.push("k.seq IS NULL");
  else if (q.state === "acknowledged") where.push("k.seq IS NOT NULL");
  return { sql: `${VIEW} WHERE ${where.join(" AND ")} ORDER BY a.seq DESC, a.rule DESC, a.account DESC LIMIT ${limit + 1}`, params, limit };
}

export const ALERT_BY_KEY = `${VIEW} WHERE a.seq = ? AND a.rule = ? AND a.account = ?`;

/** Inserts the acknowledgement only if the alert exists and has none: 1 row changed means this call acknowledged it. */
export const ACK_INSERT = "INSERT INTO alert_acks (seq, rule, account, acked_by, acked_at, note) SELECT seq, rule, account, ?, ?, ? FROM alerts WHERE seq = ? AND rule = ? AND account = ? ON CONFLICT DO NOTHING";

/** An alert raised outside the writer (RAISED_OUTSIDE_WRITER): once per key, a second raise changes nothing. */
export const ALERT_RAISE = "INSERT INTO alerts (seq, rule, account, time, severity, text, detail) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

export const STATE_UPSERT = "INSERT INTO monitor_state (account, state) VALUES (?, ?) ON CONFLICT (account) DO UPDATE SET state = excluded.state";

export function alertView(r: Row): AlertView {
  const a = { seq: n(r.seq), rule: n(r.rule), account: n(r.account), time: n(r.time), severity: n(r.severity), text: r.text as string, detail: r.detail as string };
  return { ...a, id: alertId(a), ackedBy: (r.acked_by as string | null) ?? null, ackedAt: r.acked_at == null ? null : n(r.acked_at), note: (r.note as string | null) ?? null };
}

export function alertPage(rows: Row[], limit: number): Page<AlertView> {
  const views = rows.map(alertView);
  if (views.length <= limit) return { rows: views, next: null };
  views.length = limit;
  const last = views[limit - 1]!;
  return { rows: views, next: encodeCursor(last.seq, last.rule, last.account) };
}
