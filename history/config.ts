/** The history store's section of the configuration (docs/history.md). */
export interface HistoryConfig {
  /** Default true: the exchange keeps its history. False runs without a writer (benches, `bourse start`). */
  enabled?: boolean;
  /**
   * PostgreSQL connection URL. Default: the DATABASE_URL environment variable; without either, the
   * embedded SQLite store in the data directory.
   */
  databaseUrl?: string;
  /** The SQLite file, relative to the data directory. Default `history.db`. */
  file?: string;
  /** How long rows are kept before `bourse history prune` may remove them. Default 7 years (2557 days). */
  retentionDays?: number;
  /** Rows per write transaction. Default 10,000. */
  batchRows?: number;
  /** The writer thread's nice value, so trading runs first (Linux): 0–19, default 10; 0 leaves it alone. */
  nice?: number;
}

export const DEFAULT_RETENTION_DAYS = 2557;

/** Where the store is: the one place that reads DATABASE_URL. */
export type StoreLocation = { kind: "sqlite"; file: string } | { kind: "postgres"; url: string };

export function storeLocation(dataDir: string, c: HistoryConfig | undefined, env: Record<string, string | undefined> = process.env): StoreLocation {
  const url = c?.databaseUrl ?? env.DATABASE_URL;
  if (url) return { kind: "postgres", url };
  const file = c?.file ?? "history.db";
  return { kind: "sqlite", file: file.startsWith("/") ? file : `${dataDir}/${file}` };
}

/** A location fit for a log line or an error: a URL's password never appears. */
export function describeLocation(l: StoreLocation): string {
  if (l.kind === "sqlite") return `SQLite ${l.file}`;
  try {
    const u = new URL(l.url);
    if (u.password) u.password = "***";
    return `PostgreSQL ${u.toString()}`;
  } catch {
    return "PostgreSQL (an unparseable DATABASE_URL)";
  }
}
