/**
 * API keys: a key id names an account and holds the HMAC secret a client signs its login with.
 * Built from the journaled identity (gateway/auth/directory.ts keeps it current as keys are issued
 * and revoked); the configuration's keys are journaled on a fresh data directory. Lookups are by id, and a missing key and a
 * bad signature get the same answer, so a client cannot probe which ids exist.
 */
import { BlockList, isIP } from "node:net";
import { OperatorError } from "../../actors/operator-error.ts";

/**
 * What a key may do: `read` its account's orders and state, `trade` (place, cancel, amend, mass
 * cancel), `withdraw` (request withdrawals, when a door offers them). Each door checks them.
 */
export const SCOPES = ["read", "trade", "withdraw"] as const;
export type Scope = (typeof SCOPES)[number];

/** A key configured without scopes may read and trade (not withdraw). */
export const DEFAULT_SCOPES: readonly Scope[] = ["read", "trade"];

export interface ApiKey {
  id: string;
  account: number;
  secret: string;
  /** Default DEFAULT_SCOPES. */
  scopes?: readonly Scope[];
  /** Addresses the key may log on from: IPv4 or IPv6 addresses or CIDR blocks ("10.0.0.0/8"); absent: anywhere. */
  allowIps?: readonly string[];
  /** What the key is for, as its owner names it. */
  label?: string;
  /** The FIX SenderCompIDs (49) this key logs on with; when given, only these, and no other key may use them (gateway/fix/comp-ids.ts). */
  fixCompIds?: readonly string[];
}

/** A key as the configuration file gives it, under its account (app/config.ts, AccountSeed.apiKeys). */
export interface ApiKeyConfig {
  id: string;
  secret: string;
  scopes?: readonly Scope[];
  fixCompIds?: readonly string[];
  allowIps?: readonly string[];
  label?: string;
}

export class ApiKeys {
  private readonly byId = new Map<string, ApiKey>();
  /** Each key's allowlist, compiled (node:net BlockList: addresses and subnets, v4 and v6). */
  private readonly allowLists = new Map<string, BlockList>();

  constructor(keys: ApiKey[] = []) {
    for (const k of keys) this.add(k);
  }

  /** The keys of every configured account (the configuration file's "accounts"). */
  static fromConfig(config: { accounts?: readonly { id: number; apiKeys?: readonly ApiKeyConfig[] }[] }): ApiKeys {
    const keys: ApiKey[] = [];
    for (const a of config.accounts ?? []) {
      for (const k of a.apiKeys ?? []) keys.push({ id: k.id, account: a.id, secret: k.secret, ...(k.fixCompIds ? { fixCompIds: k.fixCompIds } : {}), ...(k.scopes ? { scopes: k.scopes } : {}), ...(k.allowIps ? { allowIps: k.allowIps } : {}), ...(k.label !== undefined ? { label: k.label } : {}) });
    }
    return new ApiKeys(keys);
  }

  add(key: ApiKey): void {
    if (!/^[\x21-\x7e]{1,64}$/.test(key.id)) throw new OperatorError(`API key id must be 1-64 printable ASCII: ${key.id}`);
    if (key.secret.length < 16) throw new OperatorError(`API key ${key.id}: secret must be at least 16 characters`);
    if (this.byId.has(key.id)) throw new OperatorError(`API key ${key.id} is configured twice`);
    if (key.scopes !== undefined) {
      if (!Array.isArray(key.scopes) || key.scopes.length === 0) throw new OperatorError(`API key ${key.id}: scopes must be a non-empty list of ${SCOPES.join(", ")}`);
      for (const s of key.scopes) if (!(SCOPES as readonly string[]).includes(s)) throw new OperatorError(`API key ${key.id}: unknown scope ${JSON.stringify(s)}; the scopes are ${SCOPES.join(", ")}`);
    }
    if (key.allowIps !== undefined) this.allowLists.set(key.id, allowList(key.id, key.allowIps));
    for (const c of key.fixCompIds ?? []) {
      if (typeof c !== "string" || !/^[\x21-\x7e]{1,64}$/.test(c)) throw new OperatorError(`API key ${key.id}: fixCompIds entry ${JSON.stringify(c)} must be 1-64 printable ASCII`);
      for (const other of this.byId.values()) if (other.fixCompIds?.includes(c)) throw new OperatorError(`API key ${key.id}: SenderCompID ${c} is also configured for key ${other.id}; a CompID belongs to one key`);
    }
    this.byId.set(key.id, key);
  }

  /** Puts a changed key in place of its earlier form (a new allowlist entry or label), or adds it. */
  replace(key: ApiKey): void {
    this.remove(key.id);
    this.add(key);
  }

  /** Takes a revoked key out: from now on it is unknown, like a key that never existed. */
  remove(id: string): void {
    this.byId.delete(id);
    this.allowLists.delete(id);
  }

  /** Whether `keyId` may log on from `address` (true when the key has no allowlist). */
  allows(keyId: string, address: string): boolean {
    const list = this.allowLists.get(keyId);
    if (list === undefined) return true;
    // A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d.
    const a = address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 4 ? "ipv4" : "ipv6");
  }

  /** Every key, for what is configured per key (the FIX door's CompIDs). */
  all(): IterableIterator<ApiKey> {
    return this.byId.values();
  }

  get(id: string): ApiKey | undefined {
    return this.byId.get(id);
  }
}

function allowList(keyId: string, entries: readonly string[]): BlockList {
  if (!Array.isArray(entries) || entries.length === 0) throw new OperatorError(`API key ${keyId}: allowIps must be a non-empty list of addresses or CIDR blocks (omit it to allow any address)`);
  const list = new BlockList();
  for (const e of entries) {
    const [addr, bits, extra] = String(e).split("/");
    const family = isIP(addr ?? "");
    const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
    if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
      throw new OperatorError(`API key ${keyId}: allowIps entry ${JSON.stringify(e)} is not an IPv4 or IPv6 address or CIDR block`);
    }
    list.addSubnet(addr!, prefix, family === 4 ? "ipv4" : "ipv6");
  }
  return list;
}
