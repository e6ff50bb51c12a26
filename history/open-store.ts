/** Opens the history store at a location (history/config.ts): the writer's, or a reader's. */
import { type StoreLocation } from "./config.ts";
import { SqliteHistoryStore } from "./sqlite-store.ts";
import type { HistoryStore } from "./store.ts";

export async function openHistoryStore(at: StoreLocation, opts: { readonly?: boolean } = {}): Promise<HistoryStore> {
  if (at.kind === "sqlite") return new SqliteHistoryStore(at.file, opts);
  const { PostgresHistoryStore } = await import("./postgres-store.ts");
  return PostgresHistoryStore.open(at.url);
}
