/**
 * An external custody or bank statement, imported as CSV (docs/reconciliation.md): one row per
 * deposit or withdrawal the bank booked, with a header naming these columns (in any order; other
 * columns are ignored):
 *
 *   time       ISO 8601 with a UTC offset or Z: 2026-05-29T11:30:00+02:00 (a time without one is
 *              refused: a bank's local time cannot be guessed)
 *   account    the Bourse account id
 *   currency   the currency code (USD)
 *   amount     a positive decimal in the currency (1500.00), no more decimals than it has
 *   type       deposit | withdrawal
 *   reference  the bank's reference for the movement (may be empty)
 *
 * Times are normalised to UTC µs here; everything after compares UTC only.
 */
import { readFileSync } from "node:fs";
import type { Assets } from "./assets.ts";
import { csvRecords } from "./csv-records.ts";
import type { Movement } from "./custody-match.ts";
import { CustodyStatementError } from "./reconcile-errors.ts";

export const CUSTODY_COLUMNS = ["time", "account", "currency", "amount", "type", "reference"] as const;

const ISO_WITH_OFFSET = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/;
const DECIMAL = /^\d+(\.\d+)?$/;

/** An ISO 8601 time with its offset as UTC µs. */
export function parseOffsetTime(text: string): number {
  const m = ISO_WITH_OFFSET.exec(text.trim());
  if (!m) throw new RangeError(`time ${JSON.stringify(text)} is not ISO 8601 with a UTC offset (2026-05-29T11:30:00+02:00 or …Z)`);
  const [, date, hh, mm, ss = "00", frac = "", zone] = m;
  const offset = zone === "Z" ? "Z" : zone!.includes(":") ? zone : `${zone!.slice(0, 3)}:${zone!.slice(3)}`;
  const ms = Date.parse(`${date}T${hh}:${mm}:${ss}${offset}`);
  if (!Number.isFinite(ms) || new Date(Date.parse(`${date}T00:00:00Z`)).toISOString().slice(0, 10) !== date) throw new RangeError(`time ${JSON.stringify(text)} is not a real date and time`);
  const micros = frac === "" ? 0 : Number(frac.slice(1).padEnd(6, "0"));
  return ms * 1000 + micros;
}

/** Reads the statement; every problem names its line. */
export function readCustodyStatement(file: string, assets: Assets): Movement[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new CustodyStatementError(`cannot read the custody statement ${file}: ${(e as Error).message}`);
  }
  return parseCustodyStatement(text, assets, file);
}

export function parseCustodyStatement(text: string, assets: Assets, file = "custody statement"): Movement[] {
  const out: Movement[] = [];
  let columns: Map<string, number> | null = null;
  try {
    for (const { line, fields } of csvRecords(text)) {
      if (columns === null) {
        columns = new Map(fields.map((f, i) => [f.trim().toLowerCase(), i]));
        const missing = CUSTODY_COLUMNS.filter((c) => !columns!.has(c));
        if (missing.length > 0) throw new RangeError(`line ${line}: the header lacks ${missing.join(", ")} (columns: ${CUSTODY_COLUMNS.join(",")})`);
        continue;
      }
      const get = (c: (typeof CUSTODY_COLUMNS)[number]) => (fields[columns!.get(c)!] ?? "").trim();
      try {
        const time = parseOffsetTime(get("time"));
        const account = Number(get("account"));
        if (get("account") === "" || !Number.isSafeInteger(account) || account < 0) throw new RangeError(`account ${JSON.stringify(get("account"))} is not an account id`);
        const spec = assets.byCode.get(get("currency"));
        if (!spec) throw new RangeError(`currency ${JSON.stringify(get("currency"))} is not one the exchange has`);
        const amountText = get("amount");
        if (!DECIMAL.test(amountText)) throw new RangeError(`amount ${JSON.stringify(amountText)} is not a positive decimal`);
        const [whole, frac = ""] = amountText.split(".");
        if (frac.length > spec.scale) throw new RangeError(`amount ${amountText} has more decimals than ${spec.code} (${spec.scale})`);
        const amount = BigInt(whole! + frac.padEnd(spec.scale, "0"));
        if (amount <= 0n) throw new RangeError(`amount ${amountText} is not positive`);
        const type = get("type").toLowerCase();
        if (type !== "deposit" && type !== "withdrawal") throw new RangeError(`type ${JSON.stringify(get("type"))} is neither deposit nor withdrawal`);
        const reference = get("reference");
        out.push({
          account, currency: spec.id, type, amount, time, reference, key: reference !== "" ? `bank-ref:${reference}` : `bank:${account}:${spec.id}:${type}:${amount}:${time}`,
          record: { line, time: get("time"), account, currency: spec.code, amount: amountText, type, reference },
        });
      } catch (e) {
        throw new RangeError(`line ${line}: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    throw new CustodyStatementError(`${file}: ${(e as Error).message}`);
  }
  if (columns === null) throw new CustodyStatementError(`${file}: empty (it needs a header: ${CUSTODY_COLUMNS.join(",")})`);
  return out;
}
