/**
 * Bourse's logger: records with a time, a level, a constant message and fields, written as JSON
 * lines or pretty lines (format.ts). Every part of the server takes a Logger; tests pass
 * memoryLogger() and read the records. docs/logging.md lists the events and their fields.
 *
 * - Levels: debug < info < warn < error. A disabled level costs one comparison; anything on the
 *   per-order path logs at debug, and only behind `log.enabled("debug")` if building its fields
 *   costs anything.
 * - Bounded: each kind of line (its msg) is rate limited (rate-limit.ts), and what was dropped is
 *   reported as a count.
 * - Secrets are redacted by field name (redact.ts), whatever a call site passes.
 */
import { jsonLine, type LogFormat, prettyLine } from "./format.ts";
import { RateLimiter, type RateLimitOptions } from "./rate-limit.ts";
import type { LogLevel, LogRecord } from "./record.ts";
import { clean, isSecretName, REDACTED } from "./redact.ts";

// The record types live in record.ts so format.ts can name them without importing the logger;
// callers keep importing them from here, the log module's one front door.
export type { LogLevel, LogRecord } from "./record.ts";

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose records carry `fields` too (e.g. { door: "fix", remote }). */
  child(fields: LogFields): Logger;
  /** Whether a line at `level` would be written: guard costly fields with it. */
  enabled(level: LogLevel): boolean;
  /** Writes the suppressed counts now (at exit), rather than when they fall due. */
  flush(): void;
}

export interface LoggerOptions {
  /** Lowest level written. Default "info". */
  level?: LogLevel;
  /** Where each record goes, already cleaned and stamped. Default: `format` lines to stdout. */
  sink?: (r: LogRecord) => void;
  /** With the default sink: "json" or "pretty". Default: pretty on a terminal, JSON otherwise. */
  format?: LogFormat;
  /** Milliseconds since the epoch; tests pin it. */
  now?: () => number;
  /** Per-kind rate limit; false turns it off (a test that counts every line). */
  rateLimit?: RateLimitOptions | false;
}

/** The format for stdout when none is asked for: a person at a terminal, else a machine. */
export function defaultFormat(): LogFormat {
  return process.stdout.isTTY ? "pretty" : "json";
}

/** A sink writing `format` lines through `write` (stdout by default). */
export function lineSink(format: LogFormat, write: (line: string) => void = (l) => process.stdout.write(l)): (r: LogRecord) => void {
  const toLine = format === "pretty" ? prettyLine : jsonLine;
  return (r) => write(toLine(r));
}

const RESERVED = new Set(["time", "level", "msg"]);

/** The shared state of a logger and its children: one level, one sink, one rate limiter. */
class Core {
  readonly min: number;
  private readonly limiter: RateLimiter | null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    level: LogLevel,
    readonly sink: (r: LogRecord) => void,
    readonly now: () => number,
    rateLimit: RateLimitOptions | false,
  ) {
    this.min = RANK[level];
    this.limiter = rateLimit === false ? null : new RateLimiter(rateLimit);
  }

  write(level: LogLevel, msg: string, bindings: LogFields | null, fields: LogFields | undefined): void {
    if (RANK[level] < this.min) return;
    const now = this.now();
    if (this.limiter) {
      const { allowed, suppressedBefore } = this.limiter.take(msg, now);
      if (!allowed) {
        this.scheduleReport();
        return;
      }
      if (suppressedBefore > 0) this.emit("warn", now, "suppressed similar lines", { kind: msg, suppressed: suppressedBefore });
    }
    const r: LogRecord = { time: new Date(now).toISOString(), level, msg };
    if (bindings) copyInto(r, bindings);
    if (fields) copyInto(r, fields);
    this.emitRecord(r);
  }

  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.limiter) return;
    const now = this.now();
    for (const [kind, suppressed] of this.limiter.drainSuppressed()) this.emit("warn", now, "suppressed similar lines", { kind, suppressed });
  }

  private scheduleReport(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.limiter!.reportAfterMs);
    // A pending count must not keep a stopping process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private emit(level: LogLevel, now: number, msg: string, fields: LogFields): void {
    this.emitRecord({ time: new Date(now).toISOString(), level, msg, ...fields });
  }

  private emitRecord(r: LogRecord): void {
    try {
      this.sink(r);
    } catch {
      // A log line that cannot be written (stdout closed) must not take the exchange down with it.
    }
  }
}

function copyInto(r: LogRecord, fields: LogFields): void {
  for (const k of Object.keys(fields)) {
    const v = fields[k];
    if (v === undefined || RESERVED.has(k)) continue;
    r[k] = isSecretName(k) ? REDACTED : clean(v);
  }
}

class CoreLogger implements Logger {
  constructor(
    private readonly core: Core,
    private readonly bindings: LogFields | null,
  ) {}

  debug(msg: string, fields?: LogFields): void {
    this.core.write("debug", msg, this.bindings, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.core.write("info", msg, this.bindings, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.core.write("warn", msg, this.bindings, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.core.write("error", msg, this.bindings, fields);
  }
  child(fields: LogFields): Logger {
    return new CoreLogger(this.core, this.bindings ? { ...this.bindings, ...fields } : { ...fields });
  }
  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.core.min;
  }
  flush(): void {
    this.core.flush();
  }
}

export function createLogger(o: LoggerOptions = {}): Logger {
  const sink = o.sink ?? lineSink(o.format ?? defaultFormat());
  return new CoreLogger(new Core(o.level ?? "info", sink, o.now ?? Date.now, o.rateLimit ?? {}), null);
}

/** A logger that writes nothing (the default where no logger is given). */
export const silentLogger: Logger = createLogger({ level: "error", sink: () => {}, rateLimit: false });
