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
import { type Fill, fillOf, fillText } from "./venue-fill.ts";

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
    this.db.exec("CREATE TABLE fills (side INTEGER NOT NULL, ord INTEGER NOT NULL, time INTEGER NOT NULL, id TEXT NOT NULL, fill TEXT NOT NULL)");
    this.insert = this.db.prepare("INSERT INTO fills (side, ord, time, id, fill) VALUES (?, ?, ?, ?, ?)");
  }

  add(side: typeof OURS | typeof VENUE, f: Fill): void {
    this.counts[side]!++;
    this.pending.push([side, f]);
    if (this.pending.length >= BATCH) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    this.db.transaction(() => {
      for (const [side, f] of rows) this.insert.run(side, f.order, f.time, f.id, fillText(f));
    })();
  }

  /**
   * The venue's fills whose ExecID an earlier line of the drop copy already had (all but the first
   * of each), taken out of the comparison as they are returned.
   */
  *takeRepeatedExecIds(): Generator<{ copy: Fill; first: Fill }> {
    this.flush();
    this.db.exec("CREATE INDEX fills_by_exec ON fills (side, id)");
    const firsts = this.db.prepare("SELECT id, MIN(rowid) AS first FROM fills WHERE side = 1 GROUP BY id HAVING COUNT(*) > 1");
    const copies = this.db.prepare("SELECT rowid, fill FROM fills WHERE side = 1 AND id = ? AND rowid > ? ORDER BY rowid");
    const fill = this.db.prepare("SELECT fill FROM fills WHERE rowid = ?");
    const drop = this.db.prepare("DELETE FROM fills WHERE rowid = ?");
    const repeated = firsts.all() as { id: string; first: number }[];
    for (const r of repeated) {
      const first = fillOf((fill.get(r.first) as { fill: string }).fill);
      for (const c of copies.all(r.id, r.first) as { rowid: number; fill: string }[]) {
        drop.run(c.rowid);
        yield { copy: fillOf(c.fill), first };
      }
    }
  }

  /** Every ClOrdID with its fills on both sides, in ClOrdID order, each side in time order. */
  *orders(): Generator<OrderGroup> {
    this.flush();
    let g: OrderGroup | null = null;
    for (const r of this.db.prepare("SELECT side, ord, fill FROM fills ORDER BY ord, side, time, id").iterate() as IterableIterator<{ side: number; ord: number; fill: string }>) {
      if (g === null || g.order !== r.ord) {
        if (g !== null) yield g;
        g = { order: r.ord, ours: [], venue: [] };
      }
      (r.side === OURS ? g.ours : g.venue).push(fillOf(r.fill));
    }
    if (g !== null) yield g;
  }

  close(): void {
    this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
