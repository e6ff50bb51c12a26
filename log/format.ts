/**
 * How a log record becomes a line. JSON (one object a line, for machines: journald, Loki, jq) is
 * the default wherever output is not a terminal; "pretty" is one short line a person reads in one.
 * Both carry the same record: time, level, msg, then the fields in the order they were given.
 * Records are already cleaned (logger.ts): plain trees of bounded depth, so stringify cannot fail.
 */
import type { LogRecord } from "./record.ts";

export type LogFormat = "json" | "pretty";

export const LOG_FORMATS: readonly LogFormat[] = ["json", "pretty"];

export function jsonLine(r: LogRecord): string {
  return `${JSON.stringify(r)}\n`;
}

/** `08:50:00.123Z INFO  login door=ws account=1 key=alice-demo remote=127.0.0.1` */
export function prettyLine(r: LogRecord): string {
  const { time, level, msg, ...fields } = r;
  let line = `${time.slice(11)} ${level.toUpperCase().padEnd(5)} ${msg}`;
  let stack = "";
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    // An error's stack goes on the lines below, where a terminal shows it as a stack.
    if (v !== null && typeof v === "object" && typeof (v as { stack?: unknown }).stack === "string") {
      const e = v as { message?: unknown; stack: string };
      line += ` ${k}=${prettyValue(e.message)}`;
      stack += `\n${e.stack}`;
      continue;
    }
    line += ` ${k}=${prettyValue(v)}`;
  }
  return `${line}${stack}\n`;
}

function prettyValue(v: unknown): string {
  if (typeof v === "string") return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === "object" && v !== null) return JSON.stringify(v);
  return String(v);
}
