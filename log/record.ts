export type LogLevel = "debug" | "info" | "warn" | "error";

/** One line: `time` is ISO 8601 UTC; the fields follow `msg`. */
export interface LogRecord {
  time: string;
  level: LogLevel;
  msg: string;
  [field: string]: unknown;
}
