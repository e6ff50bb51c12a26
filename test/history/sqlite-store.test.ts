/**
 * The SQLite history store (history/sqlite-store.ts) keeps the store contract: a fresh file per test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteHistoryStore } from "../../history/sqlite-store.ts";
import { storeContract } from "./store-contract.ts";

storeContract(
  "sqlite",
  async () => new SqliteHistoryStore(join(mkdtempSync(join(tmpdir(), "bourse-history-")), "history.db")),
  async (s) => {
    await s.close();
    rmSync(join(s.file, ".."), { recursive: true, force: true });
  },
);
