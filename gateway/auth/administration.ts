import { randomBytes } from "node:crypto";
import { Access, CommandType } from "../../engine/commands.ts";
import type { ExchangeConfig } from "../../engine/exchange.ts";
import { KeyField, ROLE_NAMES, type User, USER_NAME } from "../../engine/identity.ts";
import { Reason } from "../../engine/reasons.ts";
import { formatAmount, parseAmount } from "../../engine/money.ts";
import { type Caller, auditOf, isOperator, mayRead, readsAll } from "./caller.ts";
import { type Directory, scopeBits, scopesOf } from "./directory.ts";
import { ApiKeys, SCOPES, type Scope } from "./keys.ts";
import { done, fail, type Outcome, refusedBy } from "./outcome.ts";
import { packHash, type PasswordHasher } from "./password-hasher.ts";
import type { SessionStore } from "./session-store.ts";
import { type Origin, SignIn } from "./sign-in.ts";

export interface AdministrationDeps {
  directory: Directory;
  signIn: SignIn;
  sessions: SessionStore;
  hasher: PasswordHasher;
  exchange: ExchangeConfig;
  /** Withdrawals awaiting approval as recovered (RecoveredState.withdrawals). */
  withdrawals?: readonly { account: number; id: number; currency: number; amount: string; destination: string; time: number }[];
}

/** A withdrawal awaiting an operator's approval, as the doors show it. */
export interface WithdrawalView {
  account: number;
  id: number;
  currency: string;
  amount: string;
  destination: string;
  /** Engine time of the request (µs). */
  time: number;
}

export type WithdrawalResult = { account: number; currency: string; amount: string; destination: string; seq: number; status: "paid" | "awaiting-approval"; withdrawal?: number };

export interface UserView {
  id: number;
  name: string;
  role: string;
  accounts: number[];
  locked: boolean;
  mfa: boolean;
  /** Engine times, µs since the epoch. */
  created: number;
  lastLogin: number;
}

export interface KeyView {
  id: string;
  account: number;
  scopes: Scope[];
  allowIps: string[];
  label: string;
  /** The user id that created it (0: the configuration or the host operator). */
  createdBy: number;
  created: number;
  /** 0 while live. */
  revoked: number;
}

const ROLES: Record<string, number> = Object.fromEntries(Object.entries(ROLE_NAMES).map(([code, name]) => [name, Number(code)]));
const LABEL_MAX = 64;

const NOT_OPERATOR = fail("forbidden", "NOT_PERMITTED", "only an operator may do this");
const NOT_YOURS = fail("forbidden", "NOT_PERMITTED", "not permitted for this account");

/**
 * What operators and users do to users, keys and accounts while the exchange runs, each a journaled
 * command carrying who did it (the caller's actor and id in the command's audit fields):
 *
 * - operators add users (with a one-time initial password), lock, unlock and reset their TOTP,
 *   grant accounts; open accounts, credit deposits, set tiers and symbol access;
 * - a trader (with a fresh TOTP code) or an operator issues API keys for an account, whose secret is
 *   shown once and journaled only sealed; the key's owner or an operator revokes it, and live
 *   connections of a revoked key are closed (Directory.onRevoke);
 * - withdrawal destinations are whitelisted (usable after the engine's cooling-off), and withdrawals
 *   go only to those: a trader with a fresh code, or a key with the `withdraw` scope.
 *
 * An auditor reads everything and changes nothing.
 */
export class Administration {
  /** Withdrawals awaiting approval, by `account/id`: recovered, then kept by the requests and settlements made here (the only way in). */
  private readonly pending = new Map<string, WithdrawalView & { units: bigint; currencyId: number }>();

  constructor(private readonly d: AdministrationDeps) {
    for (const w of d.withdrawals ?? []) {
      const cur = d.exchange.currencies.find((c) => c.id === w.currency);
      if (cur) this.pending.set(`${w.account}/${w.id}`, { account: w.account, id: w.id, currency: cur.code, amount: formatAmount(cur, BigInt(w.amount)), destination: w.destination, time: w.time, units: BigInt(w.amount), currencyId: w.currency });
    }
  }

  async addUser(c: Caller, u: { name: string; role: string; accounts?: number[] }): Promise<Outcome<{ user: UserView; initialPassword: string }>> {
    if (!isOperator(c)) return NOT_OPERATOR;
    if (!USER_NAME.test(u.name)) return refusedBy(Reason.INVALID_USER_NAME);
    const role = ROLES[u.role];
    if (role === undefined) return fail("bad-input", "INVALID_ROLE", `role must be one of ${Object.keys(ROLES).join(", ")}`);
    const password = SignIn.initialPassword();
    const h = await this.d.hasher.hash(password);
    if (!h.ok) return fail("rate-limited", "BUSY", "too many password hashes at once; try again in a second", 1_000);
    const r = await this.d.directory.submit({ type: CommandType.USER_ADD, clientOrderId: u.name, tier: role, destination: packHash(h.hash), ...auditOf(c) });
    if (!r.ok) return refusedBy(r.reason);
    for (const account of u.accounts ?? []) {
      const g = await this.d.directory.submit({ type: CommandType.USER_GRANT, clientOrderId: u.name, account, flags: 1, ...auditOf(c) });
      if (!g.ok) return refusedBy(g.reason);
    }
    return done({ user: userView(this.user(u.name)!), initialPassword: password });
  }

  listUsers(c: Caller): Outcome<UserView[]> {
    if (!readsAll(c)) return fail("forbidden", "NOT_PERMITTED", "only an operator or auditor may list users");
    return done([...this.d.directory.identity.usersById.values()].map(userView));
  }

  /** Locks (every session of the user ends at once) or unlocks a user. */
  async lockUser(c: Caller, name: string, locked: boolean): Promise<Outcome<UserView>> {
    if (!isOperator(c)) return NOT_OPERATOR;
    const r = await this.d.directory.submit({ type: CommandType.USER_LOCK, clientOrderId: name, flags: locked ? 1 : 0, ...auditOf(c) });
    if (!r.ok) return refusedBy(r.reason);
    const u = this.user(name)!;
    if (locked) this.d.sessions.revokeAll(u.id, "locked by an operator");
    return done(userView(u));
  }

  /** Removes a user's TOTP and recovery codes (a lost phone): their sessions end and the next sign-in enrols again. */
  async resetMfa(c: Caller, name: string): Promise<Outcome<UserView>> {
    if (!isOperator(c)) return NOT_OPERATOR;
    const r = await this.d.directory.submit({ type: CommandType.USER_TOTP, clientOrderId: name, destination: "", ...auditOf(c) });
    if (!r.ok) return refusedBy(r.reason);
    const u = this.user(name)!;
    this.d.sessions.revokeAll(u.id, "MFA reset by an operator");
    return done(userView(u));
  }

  async grant(c: Caller, name: string, account: number, grant: boolean): Promise<Outcome<UserView>> {
    if (!isOperator(c)) return NOT_OPERATOR;
    const r = await this.d.directory.submit({ type: CommandType.USER_GRANT, clientOrderId: name, account, flags: grant ? 1 : 0, ...auditOf(c) });
    return r.ok ? done(userView(this.user(name)!)) : refusedBy(r.reason);
  }

  /**
   * A new API key for `account`. A user needs a fresh one-time code (and, unless an operator, a
   * grant for the account); the host operator needs none. The secret is returned this once.
   */
  async createKey(c: Caller, k: { account: number; scopes?: string[]; allowIps?: string[]; label?: string; code?: string }, o: Origin): Promise<Outcome<{ key: KeyView; secret: string }>> {
    if (c.kind === "key") return fail("forbidden", "NOT_PERMITTED", "an API key cannot create keys; sign in");
    if (c.kind === "user" && !isOperator(c) && !(c.user.role === ROLES.trader && c.user.accounts.has(k.account))) return NOT_YOURS;
    const scopes = k.scopes ?? ["read", "trade"];
    if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => (SCOPES as readonly string[]).includes(s))) return fail("bad-input", "INVALID_SCOPES", `scopes must be a non-empty list of ${SCOPES.join(", ")}`);
    const label = k.label === undefined ? "" : encodeURIComponent(k.label);
    if ((k.label?.length ?? 0) > LABEL_MAX || label.length > 96) return fail("bad-input", "INVALID_LABEL", `label must be at most ${LABEL_MAX} characters`);
    const id = `k_${randomBytes(12).toString("base64url")}`;
    const secret = randomBytes(24).toString("base64url");
    try {
      // The same checks the door applies when it compiles the allowlist.
      new ApiKeys([{ id, account: k.account, secret, ...(k.allowIps ? { allowIps: k.allowIps } : {}) }]);
    } catch (e) {
      return fail("bad-input", "INVALID_ALLOW_IPS", (e as Error).message.replace(`API key ${id}: `, ""));
    }
    if (c.kind === "user") {
      const fresh = await this.d.signIn.freshCode(c.user, k.code, o);
      if (!fresh.ok) return fresh;
    }
    const audit = auditOf(c);
    // The key is added first and its allowlist after, but its secret leaves only once all are journaled.
    const steps = [
      { type: CommandType.KEY_ADD, clientOrderId: id, account: k.account, flags: scopeBits(scopes as Scope[]), destination: this.d.directory.sealKeySecret(id, secret) },
      ...(k.allowIps ?? []).map((ip) => ({ type: CommandType.KEY_SET, clientOrderId: id, flags: KeyField.ALLOW_IP, destination: ip })),
      ...(label !== "" ? [{ type: CommandType.KEY_SET, clientOrderId: id, flags: KeyField.LABEL, destination: label }] : []),
    ];
    for (const s of steps) {
      const r = await this.d.directory.submit({ ...s, ...audit });
      if (!r.ok) return refusedBy(r.reason);
    }
    return done({ key: this.keyView(id)!, secret });
  }

  /** Keys the caller may see: all for an operator or auditor, else those of its accounts. */
  listKeys(c: Caller, account?: number): Outcome<KeyView[]> {
    if (account !== undefined && !mayRead(c, account)) return NOT_YOURS;
    const views: KeyView[] = [];
    for (const k of this.d.directory.identity.keys.values()) {
      if ((account === undefined || k.account === account) && mayRead(c, k.account)) views.push(this.keyView(k.id)!);
    }
    return done(views);
  }

  /** Revokes a key: by an operator, a trader of its account, or the key itself. Its live connections are closed. */
  async revokeKey(c: Caller, id: string): Promise<Outcome<KeyView>> {
    const k = this.d.directory.identity.keys.get(id);
    const mine = k !== undefined && (isOperator(c) || (c.kind === "user" && c.user.role === ROLES.trader && c.user.accounts.has(k.account)) || (c.kind === "key" && c.keyId === id));
    // Someone else's key is as unknown as a key that does not exist.
    if (!k || !mine) return fail("not-found", "UNKNOWN_KEY", "no such API key of yours");
    const r = await this.d.directory.submit({ type: CommandType.KEY_REVOKE, clientOrderId: id, ...auditOf(c) });
    return r.ok ? done(this.keyView(id)!) : refusedBy(r.reason);
  }

  async openAccount(c: Caller, a: { account: number; tier: number }): Promise<Outcome<{ account: number; tier: number }>> {
    if (!isOperator(c)) return NOT_OPERATOR;
    const r = await this.d.directory.submit({ type: CommandType.OPEN_ACCOUNT, account: a.account, tier: a.tier, ...auditOf(c) });
    return r.ok ? done(a) : refusedBy(r.reason);
  }

  async setTier(c: Caller, a: { account: number; tier: number }): Promise<Outcome<{ account: number; tier: number }>> {
    if (!isOperator(c)) return NOT_OPERATOR;
    const r = await this.d.directory.submit({ type: CommandType.SET_TIER, account: a.account, tier: a.tier, ...auditOf(c) });
    return r.ok ? done(a) : refusedBy(r.reason);
  }

  /** Allows or denies a symbol to an account ("clear" returns it to the default: every symbol). */
  async symbolAccess(c: Caller, a: { account: number; symbol: string; access: "allow" | "deny" | "clear" }): Promise<Outcome<typeof a>> {
    if (!isOperator(c)) return NOT_OPERATOR;
    const inst = this.d.exchange.instruments.find((i) => i.symbol === a.symbol);
    if (!inst) return fail("bad-input", "UNKNOWN_SYMBOL", `unknown symbol ${a.symbol}`);
    const flags = a.access === "allow" ? Access.ALLOW : a.access === "deny" ? Access.DENY : Access.CLEAR;
    const r = await this.d.directory.submit({ type: CommandType.SET_SYMBOL_ACCESS, account: a.account, symbol: inst.id, flags, ...auditOf(c) });
    return r.ok ? done(a) : refusedBy(r.reason);
  }

  /** Credits a deposit (an operator books what arrived at the bank or the chain). */
  async deposit(c: Caller, a: { account: number; currency: string; amount: string }): Promise<Outcome<{ account: number; currency: string; amount: string; seq: number }>> {
    if (!isOperator(c)) return NOT_OPERATOR;
    const m = this.money(a.currency, a.amount);
    if (!m.ok) return m;
    const r = await this.d.directory.submit({ type: CommandType.DEPOSIT, account: a.account, currency: m.value.currency, amount: m.value.amount, ...auditOf(c) });
    return r.ok ? done({ ...a, seq: r.seq }) : refusedBy(r.reason);
  }

  /**
   * Whitelists a withdrawal destination for an account: an operator, or a trader of the account with
   * a fresh code. The engine makes it usable only after its cooling-off (exchange.destinationDelayUs, default 24 h).
   */
  async addDestination(c: Caller, a: { account: number; destination: string; code?: string }, o: Origin): Promise<Outcome<{ account: number; destination: string; activeFrom: number }>> {
    if (!isOperator(c)) {
      if (!(c.kind === "user" && c.user.role === ROLES.trader && c.user.accounts.has(a.account))) return NOT_YOURS;
      const fresh = await this.d.signIn.freshCode(c.user, a.code, o);
      if (!fresh.ok) return fresh;
    }
    const r = await this.d.directory.submit({ type: CommandType.ADD_DESTINATION, account: a.account, destination: a.destination, ...auditOf(c) });
    if (!r.ok) return refusedBy(r.reason);
    return done({ account: a.account, destination: a.destination, activeFrom: r.time + (this.d.exchange.destinationDelayUs ?? 86_400_000_000) });
  }

  /**
   * A withdrawal to a whitelisted, active destination: a trader of the account with a fresh code,
   * or a key of the account with the `withdraw` scope. The engine checks the whitelist, the
   * cooling-off and the available cash.
   */
  async withdraw(c: Caller, a: { account: number; currency: string; amount: string; destination: string; code?: string }, o: Origin): Promise<Outcome<WithdrawalResult>> {
    if (c.kind === "key") {
      if (c.account !== a.account || !c.scopes.includes("withdraw")) return fail("forbidden", "NOT_PERMITTED", "this key may not withdraw from this account (needs the withdraw scope)");
    } else if (c.kind === "user" && c.user.role === ROLES.trader && c.user.accounts.has(a.account)) {
      const fresh = await this.d.signIn.freshCode(c.user, a.code, o);
      if (!fresh.ok) return fresh;
    } else return NOT_YOURS;
    const m = this.money(a.currency, a.amount);
    if (!m.ok) return m;
    const r = await this.d.directory.submit({ type: CommandType.WITHDRAW, account: a.account, currency: m.value.currency, amount: m.value.amount, destination: a.destination, ...auditOf(c) });
    if (!r.ok) return refusedBy(r.reason);
    const base = { account: a.account, currency: a.currency, amount: a.amount, destination: a.destination, seq: r.seq };
    if (r.withdrawal === 0) return done({ ...base, status: "paid" });
    // The amount as the currency writes it, as after a restart (recovered from the ledger).
    const amount = formatAmount(this.d.exchange.currencies.find((x) => x.id === m.value.currency)!, m.value.amount);
    this.pending.set(`${a.account}/${r.withdrawal}`, { account: a.account, id: r.withdrawal, currency: a.currency, amount, destination: a.destination, time: r.time, units: m.value.amount, currencyId: m.value.currency });
    return done({ ...base, status: "awaiting-approval", withdrawal: r.withdrawal });
  }

  /** Withdrawals awaiting approval that the caller may see: all for an operator or auditor, else its accounts'. */
  listWithdrawals(c: Caller, account?: number): Outcome<WithdrawalView[]> {
    if (account !== undefined && !mayRead(c, account)) return NOT_YOURS;
    const out: WithdrawalView[] = [];
    for (const w of this.pending.values()) if ((account === undefined || w.account === account) && mayRead(c, w.account)) out.push({ account: w.account, id: w.id, currency: w.currency, amount: w.amount, destination: w.destination, time: w.time });
    return done(out.sort((x, y) => x.time - y.time));
  }

  /** An operator pays (approve) or releases (reject) a withdrawal awaiting approval; journaled with the operator as its author. */
  async settleWithdrawal(c: Caller, account: number, id: number, approve: boolean): Promise<Outcome<WithdrawalView & { status: "paid" | "rejected"; seq: number }>> {
    if (!isOperator(c)) return NOT_OPERATOR;
    const w = this.pending.get(`${account}/${id}`);
    if (!w) return fail("not-found", "UNKNOWN_WITHDRAWAL", "no such withdrawal awaiting approval on this account");
    const r = await this.d.directory.submit({ type: approve ? CommandType.APPROVE_WITHDRAWAL : CommandType.REJECT_WITHDRAWAL, account, orderId: id, currency: w.currencyId, amount: w.units, destination: w.destination, ...auditOf(c) });
    if (!r.ok) return refusedBy(r.reason);
    this.pending.delete(`${account}/${id}`);
    return done({ account, id, currency: w.currency, amount: w.amount, destination: w.destination, time: w.time, status: approve ? "paid" : "rejected", seq: r.seq });
  }

  private money(code: string, text: string): Outcome<{ currency: number; amount: bigint }> {
    const cur = this.d.exchange.currencies.find((x) => x.code === code);
    if (!cur) return fail("bad-input", "UNKNOWN_CURRENCY", `unknown currency ${code}`);
    const p = parseAmount(cur, text);
    if (!p.ok) return fail("bad-input", "INVALID_AMOUNT", `amount must be a positive decimal with at most ${cur.scale} places`);
    return done({ currency: cur.id, amount: p.value });
  }

  private user(name: string): User | undefined {
    return this.d.directory.identity.users.get(name);
  }

  private keyView(id: string): KeyView | undefined {
    const k = this.d.directory.identity.keys.get(id);
    if (!k) return undefined;
    return { id: k.id, account: k.account, scopes: scopesOf(k.scopes), allowIps: [...k.allowIps], label: k.label === "" ? "" : decodeURIComponent(k.label), createdBy: k.createdBy, created: k.created, revoked: k.revoked };
  }
}

export function userView(u: User): UserView {
  return { id: u.id, name: u.name, role: ROLE_NAMES[u.role] ?? String(u.role), accounts: [...u.accounts].sort((a, b) => a - b), locked: u.locked, mfa: u.mfa, created: u.created, lastLogin: u.lastLogin };
}
