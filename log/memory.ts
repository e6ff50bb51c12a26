/**
 * A logger that keeps its records in an array, for tests (and anything else that wants to read
 * what was logged). No rate limit unless asked: a test counts every line.
 */
import { prettyLine } from "./format.ts";
import { createLogger, type Logger, type LoggerOptions, type LogRecord } from "./logger.ts";

export interface MemoryLogger {
  log: Logger;
  records: LogRecord[];
  /** Each record as `LEVEL msg k=v …` (pretty, without the time), for matching with a regex. */
  lines(): string[];
  /** Bytes the records would take as JSON lines: what a disk would hold. */
  jsonBytes(): number;
}

export type MemoryLoggerOptions = Omit<LoggerOptions, "sink" | "format">;

export function memoryLogger(o: MemoryLoggerOptions = {}): MemoryLogger {
  const records: LogRecord[] = [];
  const log = createLogger({ level: "debug", rateLimit: false, ...o, sink: (r) => records.push(r) });
  return {
    log,
    records,
    lines: () => records.map(untimed),
    jsonBytes: () => records.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)) + 1, 0),
  };
}

function untimed(r: LogRecord): string {
  const line = prettyLine(r);
  // Without the time, and one space after the level (pretty pads it to line up a terminal).
  return line.slice(line.indexOf(" ") + 1, -1).replace(/^(\w+) +/, "$1 ");
}
