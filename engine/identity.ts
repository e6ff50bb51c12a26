import { type Command, CommandType } from "./commands.ts";
import { Reason, type ReasonCode } from "./reasons.ts";

/**
 * Who may act on the exchange: users (a login name, a role, the accounts they act for, the hashes
 * of their credentials) and API keys (an account, scopes, the key's secret sealed). Kept in the
 * engine because it is journaled like any command: replay, `recover --until`, the snapshotter's
 * replica and a future standby all fold the same commands into the same state, so a revocation or
 * a used one-time code is never forgotten by a restart or a failover.
 *
 * Nothing here is a secret in clear. The doors hash and seal before they submit (gateway/auth/):
 * a password arrives as its argon2id hash, a TOTP secret and a key's HMAC secret sealed with the
 * server's master key, recovery codes as hashes. The engine only checks shape and references and
 * keeps the facts; it does no cryptography (no clock, no randomness, no I/O here).
 *
 * The command fields each identity command uses (docs/layouts.md has the slot):
 *
 *   USER_ADD       clientOrderId name, tier role, destination password hash (packed)
 *   USER_PASSWORD  clientOrderId name, destination password hash (packed)
 *   USER_TOTP      clientOrderId name, destination sealed TOTP secret; "" removes MFA (and the recovery codes)
 *   USER_RECOVERY  clientOrderId name, qty chunk index (0 starts a new set), destination hashes joined by "."
 *   USER_GRANT     clientOrderId name, account, flags 1 grant / 0 withdraw the grant
 *   USER_LOCK      clientOrderId name, flags 1 lock / 0 unlock
 *   USER_LOGIN     clientOrderId name, qty the TOTP time step accepted (0: none), price 1 + the recovery code used (0: none)
 *   KEY_ADD        clientOrderId key id, account, flags scopes (ScopeBit), destination sealed secret
 *   KEY_SET        clientOrderId key id, flags KeyField, destination the value
 *   KEY_REVOKE     clientOrderId key id
 *
 * `actor` and `session` say who did it (Actor.USER and the user's id, Actor.HOST for the operator
 * at the host, Actor.SYSTEM for the configuration's seed); they are kept on a key as its creator.
 */

export const Role = { TRADER: 1, OPERATOR: 2, AUDITOR: 3 } as const;
export type RoleCode = (typeof Role)[keyof typeof Role];
export const ROLE_NAMES: Record<number, string> = { [Role.TRADER]: "trader", [Role.OPERATOR]: "operator", [Role.AUDITOR]: "auditor" };

/** A key's scopes as bits of `flags`. */
export const ScopeBit = { READ: 1, TRADE: 2, WITHDRAW: 4 } as const;

/** What a KEY_SET sets. */
export const KeyField = { ALLOW_IP: 0, LABEL: 1 } as const;

export const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,35}$/;
const KEY_ID = /^[\x21-\x7e]{1,36}$/;
/** A recovery-code hash: 16 bytes of SHA-256 in base64url (gateway/auth/recovery-codes.ts). */
const CODE_HASH = /^[A-Za-z0-9_-]{22}$/;
export const MAX_RECOVERY_CODES = 16;
export const MAX_ALLOW_IPS = 32;

export class User {
  totp = "";
  /** The last TOTP time step accepted: a code of this step or an earlier one is refused. */
  totpStep = 0;
  /** Recovery-code hashes; a used one is "". */
  recovery: string[] = [];
  readonly accounts = new Set<number>();
  locked = false;
  passwordTime: number;
  lastLogin = 0;

  constructor(
    readonly id: number,
    readonly name: string,
    public role: number,
    public password: string,
    readonly created: number,
  ) {
    this.passwordTime = created;
  }

  get mfa(): boolean {
    return this.totp !== "";
  }
}

export class Key {
  allowIps: string[] = [];
  label = "";
  /** Engine time of the revocation; 0 while the key is live. */
  revoked = 0;

  constructor(
    readonly id: string,
    readonly account: number,
    readonly scopes: number,
    readonly secret: string,
    readonly createdBy: number,
    readonly created: number,
  ) {}
}

/** The identity state as plain data, for the snapshot (canonical: users by id, keys by id) and the doors' copy. */
export interface IdentityRecord {
  nextUser: number;
  users: [id: number, name: string, role: number, password: string, totp: string, totpStep: number, recovery: string[], accounts: number[], locked: boolean, created: number, passwordTime: number, lastLogin: number][];
  keys: [id: string, account: number, scopes: number, secret: string, allowIps: string[], label: string, createdBy: number, created: number, revoked: number][];
}

export function isIdentityCommand(type: number): boolean {
  return type >= CommandType.USER_ADD && type <= CommandType.KEY_REVOKE;
}

export function isKeyCommand(type: number): boolean {
  return type >= CommandType.KEY_ADD && type <= CommandType.KEY_REVOKE;
}

export class Identity {
  readonly users = new Map<string, User>();
  readonly usersById = new Map<number, User>();
  readonly keys = new Map<string, Key>();
  nextUser = 1;

  /**
   * Applies one identity command at engine time `now`; anything malformed or naming what does not
   * exist is refused with its reason and changes nothing. `accountExists` is the ledger's answer.
   */
  apply(cmd: Command, now: number, accountExists: (account: number) => boolean): ReasonCode {
    const t = cmd.type;
    if (t === CommandType.KEY_ADD) return this.addKey(cmd, now, accountExists);
    if (t === CommandType.KEY_SET || t === CommandType.KEY_REVOKE) {
      const key = this.keys.get(cmd.clientOrderId);
      if (!key) return Reason.UNKNOWN_KEY;
      if (key.revoked !== 0) return Reason.KEY_REVOKED;
      if (t === CommandType.KEY_REVOKE) {
        key.revoked = now;
        return Reason.OK;
      }
      return setKey(key, cmd);
    }
    if (t === CommandType.USER_ADD) {
      if (!USER_NAME.test(cmd.clientOrderId)) return Reason.INVALID_USER_NAME;
      if (this.users.has(cmd.clientOrderId)) return Reason.USER_EXISTS;
      if (!ROLE_NAMES[cmd.tier]) return Reason.INVALID_ROLE;
      if (cmd.destination === "") return Reason.INVALID_CREDENTIAL;
      const u = new User(this.nextUser++, cmd.clientOrderId, cmd.tier, cmd.destination, now);
      this.users.set(u.name, u);
      this.usersById.set(u.id, u);
      return Reason.OK;
    }
    const u = this.users.get(cmd.clientOrderId);
    if (!u) return Reason.UNKNOWN_USER;
    switch (t) {
      case CommandType.USER_PASSWORD:
        if (cmd.destination === "") return Reason.INVALID_CREDENTIAL;
        u.password = cmd.destination;
        u.passwordTime = now;
        return Reason.OK;
      case CommandType.USER_TOTP:
        // A new secret starts a new sequence of steps; removing it takes the recovery codes too.
        u.totp = cmd.destination;
        u.totpStep = 0;
        if (cmd.destination === "") u.recovery = [];
        return Reason.OK;
      case CommandType.USER_RECOVERY:
        return addRecovery(u, cmd);
      case CommandType.USER_GRANT:
        if (cmd.flags === 1) {
          if (!accountExists(cmd.account)) return Reason.UNKNOWN_ACCOUNT;
          u.accounts.add(cmd.account);
        } else u.accounts.delete(cmd.account);
        return Reason.OK;
      case CommandType.USER_LOCK:
        u.locked = cmd.flags === 1;
        return Reason.OK;
      case CommandType.USER_LOGIN:
        return login(u, cmd, now);
      default:
        return Reason.UNKNOWN_COMMAND;
    }
  }

  private addKey(cmd: Command, now: number, accountExists: (account: number) => boolean): ReasonCode {
    if (!KEY_ID.test(cmd.clientOrderId) || cmd.flags < 1 || cmd.flags > 7 || cmd.destination === "") return Reason.INVALID_KEY;
    if (this.keys.has(cmd.clientOrderId)) return Reason.KEY_EXISTS;
    if (!accountExists(cmd.account)) return Reason.UNKNOWN_ACCOUNT;
    this.keys.set(cmd.clientOrderId, new Key(cmd.clientOrderId, cmd.account, cmd.flags, cmd.destination, cmd.session, now));
    return Reason.OK;
  }

  toRecord(): IdentityRecord {
    const users = [...this.usersById.values()].sort((a, b) => a.id - b.id);
    const keys = [...this.keys.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return {
      nextUser: this.nextUser,
      users: users.map((u) => [u.id, u.name, u.role, u.password, u.totp, u.totpStep, [...u.recovery], [...u.accounts].sort((x, y) => x - y), u.locked, u.created, u.passwordTime, u.lastLogin]),
      keys: keys.map((k) => [k.id, k.account, k.scopes, k.secret, [...k.allowIps], k.label, k.createdBy, k.created, k.revoked]),
    };
  }

  static fromRecord(r: IdentityRecord | undefined): Identity {
    const id = new Identity();
    if (!r) return id;
    id.nextUser = r.nextUser;
    for (const [uid, name, role, password, totp, totpStep, recovery, accounts, locked, created, passwordTime, lastLogin] of r.users) {
      const u = new User(uid, name, role, password, created);
      u.totp = totp;
      u.totpStep = totpStep;
      u.recovery = [...recovery];
      for (const a of accounts) u.accounts.add(a);
      u.locked = locked;
      u.passwordTime = passwordTime;
      u.lastLogin = lastLogin;
      id.users.set(name, u);
      id.usersById.set(uid, u);
    }
    for (const [kid, account, scopes, secret, allowIps, label, createdBy, created, revoked] of r.keys) {
      const k = new Key(kid, account, scopes, secret, createdBy, created);
      k.allowIps = [...allowIps];
      k.label = label;
      k.revoked = revoked;
      id.keys.set(kid, k);
    }
    return id;
  }
}

function setKey(key: Key, cmd: Command): ReasonCode {
  if (cmd.flags === KeyField.ALLOW_IP) {
    if (cmd.destination === "" || key.allowIps.length >= MAX_ALLOW_IPS) return Reason.INVALID_KEY;
    if (!key.allowIps.includes(cmd.destination)) key.allowIps.push(cmd.destination);
    return Reason.OK;
  }
  if (cmd.flags === KeyField.LABEL) {
    key.label = cmd.destination;
    return Reason.OK;
  }
  return Reason.INVALID_KEY;
}

function addRecovery(u: User, cmd: Command): ReasonCode {
  const hashes = cmd.destination === "" ? [] : cmd.destination.split(".");
  if (hashes.length === 0 || !hashes.every((h) => CODE_HASH.test(h))) return Reason.INVALID_CREDENTIAL;
  const base = cmd.qty === 0 ? [] : u.recovery;
  if (base.length + hashes.length > MAX_RECOVERY_CODES) return Reason.INVALID_CREDENTIAL;
  u.recovery = [...base, ...hashes];
  return Reason.OK;
}

/**
 * A sign-in's one-time proof, made a fact: the TOTP step is kept so the same code (or an older
 * one) is refused from then on, on every door and after any restart; a recovery code is spent.
 * Two sign-ins racing with one code both reach this point in sequence, and the second is refused.
 */
function login(u: User, cmd: Command, now: number): ReasonCode {
  if (cmd.qty > 0) {
    if (!u.mfa) return Reason.MFA_NOT_ENROLLED;
    if (cmd.qty <= u.totpStep) return Reason.TOTP_REPLAYED;
  }
  const code = cmd.price - 1;
  if (cmd.price > 0 && (code >= u.recovery.length || u.recovery[code] === "")) return Reason.TOTP_REPLAYED;
  if (cmd.qty > 0) u.totpStep = cmd.qty;
  if (cmd.price > 0) u.recovery[code] = "";
  u.lastLogin = now;
  return Reason.OK;
}
