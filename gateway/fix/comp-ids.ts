/**
 * Who may use which SenderCompID (49). A CompID belongs to one API key: the key the configuration
 * gives it to (`fixCompIds` on the key), or else the key that first logged on with it, recorded in
 * `<dataDir>/fix/compids.json` so that it still belongs to that key after a restart. A logon with a
 * CompID that belongs to another key is refused before anything else is looked at, so one account
 * can neither take another's name (and lock its owner out with "already logged on") nor learn
 * whether the owner is online. A key that has CompIDs configured may use only those, and a key
 * registers at most `maxPerKey` by first use: each CompID keeps a message store, and an unbounded
 * number of names would be an unbounded number of files.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { syncDir } from "../../storage/sync-dir.ts";
import { FixStoreError } from "./store.ts";

export type CompIdClaim = { ok: true } | { ok: false; why: string };

export class CompIdRegistry {
  /** CompID → key id: configured ones first, then those registered by first use. */
  private readonly owners = new Map<string, string>();
  private readonly configuredKeys = new Set<string>();
  private readonly registered = new Map<string, string>();
  private readonly file: string;

  constructor(
    private readonly dir: string,
    configured: readonly { keyId: string; compIds: readonly string[] }[],
    private readonly maxPerKey: number,
  ) {
    this.file = join(dir, "compids.json");
    for (const k of configured) {
      if (k.compIds.length > 0) this.configuredKeys.add(k.keyId);
      for (const id of k.compIds) this.owners.set(id, k.keyId);
    }
    if (existsSync(this.file)) {
      let saved: Record<string, string>;
      try {
        saved = JSON.parse(readFileSync(this.file, "utf8")) as Record<string, string>;
      } catch (e) {
        throw new FixStoreError(`${this.file} is not a SenderCompID registry (${(e as Error).message}); restore it from a backup, or remove it to let keys register their CompIDs again`, { cause: e });
      }
      for (const [compId, keyId] of Object.entries(saved)) this.registered.set(compId, keyId);
    }
  }

  /** May `keyId` log on as `compId`? Registers a free one (durably) when the key may have more. */
  claim(compId: string, keyId: string): CompIdClaim {
    const owner = this.owners.get(compId) ?? this.registered.get(compId);
    if (owner !== undefined) return owner === keyId ? { ok: true } : { ok: false, why: `SenderCompID ${compId} belongs to another key` };
    if (this.configuredKeys.has(keyId)) return { ok: false, why: `SenderCompID ${compId} is not one of this key's configured CompIDs` };
    let mine = 0;
    for (const k of this.registered.values()) if (k === keyId) mine++;
    if (mine >= this.maxPerKey) return { ok: false, why: `this key has registered its ${this.maxPerKey} SenderCompIDs; log on with one of them, or have the operator configure fixCompIds for the key` };
    this.registered.set(compId, keyId);
    try {
      this.save();
    } catch (e) {
      this.registered.delete(compId);
      throw e;
    }
    return { ok: true };
  }

  /** Written whole to a temporary file, synced, renamed over the old one: a crash leaves the old or the new, never half. */
  private save(): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, `${JSON.stringify(Object.fromEntries(this.registered), null, 1)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    syncDir(this.dir);
  }
}
