/**
 * A venue's record of our executions (docs/reconciliation.md): its execution CSV or a FIX message
 * log, read a line at a time (a day's file is never held whole), each trade as a Fill.
 *
 * CSV: a header naming these columns in any order (others are ignored), one record a line:
 *   exec_id         the venue's ExecID: unique per fill
 *   venue_order_id  the venue's own order id (kept in the report, never matched on)
 *   cl_ord_id       ClOrdID: the order id Bourse sent
 *   symbol          the instrument's symbol, as in the exchange's config
 *   side            buy | sell (also B/S, or FIX's 1/2)
 *   last_qty        the fill's quantity, a positive decimal
 *   last_px         its price, a positive decimal
 *   commission      the venue's commission for the fill, a decimal in the quote currency (empty: 0)
 *   transact_time   ISO 8601 with a UTC offset or Z (a time without one is refused)
 *
 * FIX: one FIX 4.4 message a line, fields split by SOH or '|' (text before "8=FIX" on the line, a
 * log's own prefix, is skipped). ExecutionReports (35=8) with ExecType(150)=F (trade) are fills:
 * ExecID(17), OrderID(37), ClOrdID(11), Symbol(55), Side(54), LastQty(32), LastPx(31),
 * Commission(12, absent: 0), TransactTime(60, UTC). Every other message is ignored, trade
 * corrections and cancels (150=G, H) included.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Instrument } from "../engine/instrument.ts";
import { csvRecords } from "./csv-records.ts";
import { parseOffsetTime } from "./custody-statement.ts";
import { DropCopyError } from "./reconcile-errors.ts";
import { canonical, type Fill } from "./venue-fill.ts";

export const DROP_COPY_COLUMNS = ["exec_id", "venue_order_id", "cl_ord_id", "symbol", "side", "last_qty", "last_px", "commission", "transact_time"] as const;
type Column = (typeof DROP_COPY_COLUMNS)[number];

const POSITIVE = /^\d+(\.\d+)?$/;
const NOT_ZERO = /[1-9]/;
const SIGNED = /^-?\d+(\.\d+)?$/;
const FIX_TIME = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?$/;
const SIDES: Record<string, number> = { buy: 0, b: 0, "1": 0, sell: 1, s: 1, "2": 1 };

/** The venue's fields of one fill, as text, before they are checked. */
interface RawFill {
  execId: string;
  venueOrderId: string;
  clOrdId: string;
  symbol: string;
  side: string;
  qty: string;
  px: string;
  commission: string;
  /** UTC µs. */
  time: number;
  timeText: string;
}

/** Every fill of the file, in file order; each problem names the file and line. */
export async function* readDropCopy(file: string, instruments: ReadonlyMap<string, Instrument>): AsyncGenerator<Fill> {
  let lines: AsyncIterable<string>;
  const stream = createReadStream(file, { encoding: "utf8" });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (e) => reject(new DropCopyError(`cannot read the drop copy ${file}: ${e.message}`)));
  });
  await opened;
  lines = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  let columns: Map<string, number> | null = null;
  let fix: boolean | null = null;
  try {
    for await (let line of lines) {
      n++;
      if (n === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
      if (line.trim() === "") continue;
      try {
        fix ??= line.includes("8=FIX");
        let raw: RawFill | null;
        if (fix) raw = fixFill(line);
        else if (columns === null) {
          columns = header(line);
          continue;
        } else raw = csvFill(line, columns);
        if (raw !== null) yield fillOf(raw, n, instruments);
      } catch (e) {
        if (e instanceof DropCopyError) throw e;
        throw new DropCopyError(`${file}: line ${n}: ${(e as Error).message}`);
      }
    }
  } finally {
    stream.destroy();
  }
  if (fix === null) throw new DropCopyError(`${file}: empty (a CSV needs a header: ${DROP_COPY_COLUMNS.join(",")}; a FIX log one message a line)`);
}

function header(line: string): Map<string, number> {
  const fields = one(line);
  const columns = new Map(fields.map((f, i) => [f.trim().toLowerCase(), i]));
  const missing = DROP_COPY_COLUMNS.filter((c) => !columns.has(c));
  if (missing.length > 0) throw new RangeError(`the header lacks ${missing.join(", ")} (columns: ${DROP_COPY_COLUMNS.join(",")}), and the line is no FIX message`);
  return columns;
}

/** The one record of a line (a drop copy keeps a record to a line). */
function one(line: string): string[] {
  // Most lines quote nothing: split them as they are.
  if (!line.includes('"')) return line.split(",");
  const records = [...csvRecords(line)];
  if (records.length !== 1) throw new RangeError("not one CSV record");
  return records[0]!.fields;
}

function csvFill(line: string, columns: Map<string, number>): RawFill {
  const fields = one(line);
  const get = (c: Column) => (fields[columns.get(c)!] ?? "").trim();
  const timeText = get("transact_time");
  return {
    execId: get("exec_id"), venueOrderId: get("venue_order_id"), clOrdId: get("cl_ord_id"), symbol: get("symbol"), side: get("side"),
    qty: get("last_qty"), px: get("last_px"), commission: get("commission"), time: parseOffsetTime(timeText), timeText,
  };
}

/** A trade's fields from one FIX message, or null for any other message. */
function fixFill(line: string): RawFill | null {
  const at = line.indexOf("8=FIX");
  if (at < 0) throw new RangeError("no FIX message (8=FIX…) on the line");
  const tags = new Map<string, string>();
  for (const field of line.slice(at).split(/[\x01|]/)) {
    const eq = field.indexOf("=");
    if (eq > 0 && !tags.has(field.slice(0, eq))) tags.set(field.slice(0, eq), field.slice(eq + 1));
  }
  if (tags.get("35") !== "8" || tags.get("150") !== "F") return null;
  const need = (tag: string, name: string) => {
    const v = tags.get(tag);
    if (v === undefined || v === "") throw new RangeError(`an execution report without ${name}(${tag})`);
    return v;
  };
  const timeText = need("60", "TransactTime");
  return {
    execId: need("17", "ExecID"), venueOrderId: tags.get("37") ?? "", clOrdId: need("11", "ClOrdID"), symbol: need("55", "Symbol"), side: need("54", "Side"),
    qty: need("32", "LastQty"), px: need("31", "LastPx"), commission: tags.get("12") ?? "", time: fixTime(timeText), timeText,
  };
}

/** FIX's UTCTimestamp (YYYYMMDD-HH:MM:SS[.fff…]): always UTC. */
function fixTime(text: string): number {
  const m = FIX_TIME.exec(text);
  if (!m) throw new RangeError(`TransactTime ${JSON.stringify(text)} is not a FIX UTCTimestamp (YYYYMMDD-HH:MM:SS.sss)`);
  return parseOffsetTime(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${(m[7] ?? "").slice(0, 7)}Z`);
}

function fillOf(r: RawFill, line: number, instruments: ReadonlyMap<string, Instrument>): Fill {
  if (r.execId === "") throw new RangeError("no exec_id");
  const inst = instruments.get(r.symbol);
  if (!inst) throw new RangeError(`symbol ${JSON.stringify(r.symbol)} is not an instrument routed to this venue (${[...instruments.keys()].join(", ")})`);
  const side = SIDES[r.side.toLowerCase()];
  if (side === undefined) throw new RangeError(`side ${JSON.stringify(r.side)} is neither buy nor sell`);
  if (!POSITIVE.test(r.qty) || !NOT_ZERO.test(r.qty)) throw new RangeError(`quantity ${JSON.stringify(r.qty)} is not a positive decimal`);
  if (!POSITIVE.test(r.px) || !NOT_ZERO.test(r.px)) throw new RangeError(`price ${JSON.stringify(r.px)} is not a positive decimal`);
  if (r.commission !== "" && !SIGNED.test(r.commission)) throw new RangeError(`commission ${JSON.stringify(r.commission)} is not a decimal`);
  const order = /^\d{1,15}$/.test(r.clOrdId) ? Number(r.clOrdId) : -1;
  return {
    order, time: r.time, side, qty: canonical(r.qty), px: canonical(r.px), id: r.execId, commission: canonical(r.commission === "" ? "0" : r.commission), symbol: inst.id, account: 0,
    record: { line, execId: r.execId, venueOrderId: r.venueOrderId, clOrdId: r.clOrdId, symbol: r.symbol, side: side === 0 ? "buy" : "sell", qty: r.qty, price: r.px, commission: r.commission === "" ? "0" : r.commission, time: r.timeText },
  };
}
