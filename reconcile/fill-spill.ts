/**
 * The venue comparison's external sort: both sides' fills go into a temporary SQLite file as they
 * are read (ours in journal order, the venue's in file order), and come back grouped by ClOrdID,
 * each group in time order. SQLite sorts through its own temporary b-trees on disk with a bounded
 * page cache (CACHE_KIB), so a day of a million fills a side costs disk, not memory; only one
 * order's fills are in memory at a time. The file is deleted with the run.
 */
import { Database, type Statement } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Fill } from "./venue-fill.ts";

/** SQLite's page cache for the sort, KiB: the memory the sort may take whatever the day's size. */
const CACHE_KIB = 16_384;
const BATCH = 10_000;

export const OURS = 0;
export const VENUE = 1;

export interface OrderGroup {
  order: number;
  ours: Fill[];
  venue: Fill[];
}

interface FillRow {
  src: number;
  ord: number;
  time: number;
  id: string;
  side: number;
  qty: string;
  px: string;
  commission: string | null;
  symbol: number;
  account: number;
  record: string;
}

/** The record stays JSON text until a break needs it. */
const fillOf = (r: FillRow): Fill => ({ order: r.ord, time: r.time, side: r.side, qty: r.qty, px: r.px, id: r.id, commission: r.commission, symbol: r.symbol, account: r.account, record: r.record });

export class FillSpill {
  private readonly dir: string;
  private readonly db: Database;
  private readonly insert: Statement;
  private pending: [number, Fill][] = [];
  readonly counts = [0, 0];

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "bourse-venue-recon-"));
    this.db = new Database(join(this.dir, "fills.db"));
    this.db.exec(`PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = FILE; PRAGMA cache_size = -${CACHE_KIB};`);
    this.db.exec(`CREATE TABLE fills (src INTEGER NOT NULL, ord INTEGER NOT NULL, time INTEGER NOT NULL, id TEXT NOT NULL, side INTEGER NOT NULL, qty TEXT NOT NULL, px TEXT NOT NULL,
      commission TEXT, symbol INTEGER NOT NULL, account INTEGER NOT NULL, record TEXT NOT NULL)`);
    this.insert = this.db.prepare("INSERT INTO fills (src, ord, time, id, side, qty, px, commission, symbol, account, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  }

  add(src: typeof OURS | typeof VENUE, f: Fill): void {
    this.counts[src]!++;
    this.pending.push([src, f]);
    if (this.pending.length >= BATCH) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    this.db.transaction(() => {
      for (const [src, f] of rows) this.insert.run(src, f.order, f.time, f.id, f.side, f.qty, f.px, f.commission, f.symbol, f.account, typeof f.record === "string" ? f.record : JSON.stringify(f.record));
    })();
  }

  /**
   * The venue's fills whose ExecID an earlier line of the drop copy already had (all but the first
   * of each), taken out of the comparison as they are returned.
   */
  *takeRepeatedExecIds(): Generator<{ copy: Fill; first: Fill }> {
    this.flush();
    this.db.exec("CREATE INDEX fills_by_exec ON fills (src, id)");
    const firsts = this.db.prepare("SELECT id, MIN(rowid) AS first FROM fills WHERE src = 1 GROUP BY id HAVING COUNT(*) > 1");
    const copies = this.db.prepare("SELECT rowid, * FROM fills WHERE src = 1 AND id = ? AND rowid > ? ORDER BY rowid");
    const fill = this.db.prepare("SELECT * FROM fills WHERE rowid = ?");
    const drop = this.db.prepare("DELETE FROM fills WHERE rowid = ?");
    const repeated = firsts.all() as { id: string; first: number }[];
    for (const r of repeated) {
      const first = fillOf(fill.get(r.first) as FillRow);
      for (const c of copies.all(r.id, r.first) as (FillRow & { rowid: number })[]) {
        drop.run(c.rowid);
        yield { copy: fillOf(c), first };
      }
    }
  }

  /** Every ClOrdID with its fills on both sides, in ClOrdID order, each side in time order. */
  *orders(): Generator<OrderGroup> {
    this.flush();
    let g: OrderGroup | null = null;
    for (const r of this.db.prepare("SELECT * FROM fills ORDER BY ord, src, time, id").iterate() as IterableIterator<FillRow>) {
      if (g === null || g.order !== r.ord) {
        if (g !== null) yield g;
        g = { order: r.ord, ours: [], venue: [] };
      }
      (r.src === OURS ? g.ours : g.venue).push(fillOf(r));
    }
    if (g !== null) yield g;
  }

  close(): void {
    this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
