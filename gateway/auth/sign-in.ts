import { randomBytes } from "node:crypto";
import { Actor, CommandType } from "../../engine/commands.ts";
import type { User } from "../../engine/identity.ts";
import { Reason } from "../../engine/reasons.ts";
import type { Logger } from "../../log/logger.ts";
import type { AuthAudit } from "./auth-audit.ts";
import type { Caller } from "./caller.ts";
import type { Directory } from "./directory.ts";
import type { LoginGuard } from "./login-guard.ts";
import { done, fail, type Failure, type Outcome, refusedBy } from "./outcome.ts";
import { type PasswordHasher, packHash, passwordProblem, unpackHash } from "./password-hasher.ts";
import { matchRecoveryCode, newRecoveryCodes } from "./recovery-codes.ts";
import type { SecretBox } from "./secret-box.ts";
import type { SessionInfo, SessionStore } from "./session-store.ts";
import { checkTotp, newTotpSecret, totpQrSvg, totpUri } from "./totp.ts";

/** What sign-in needs: the journaled identity, the session store, the hasher, the sealing key, the guard and the audit log. */
export interface SignInDeps {
  directory: Directory;
  sessions: SessionStore;
  hasher: PasswordHasher;
  box: SecretBox;
  guard: LoginGuard;
  audit: AuthAudit;
  /** Wall-clock ms (injected in tests). */
  clock?: () => number;
  log?: Logger;
}

/** Where an attempt comes from. */
export interface Origin {
  door: string;
  address: string;
  agent?: string;
}

export type SignedIn = { kind: "session"; token: string; session: SessionInfo; others: SessionInfo[] } | { kind: "enrol"; ticket: string; expiresMs: number };

/** An enrolment in progress: password proven, TOTP not yet; the secret is held here until the first code confirms it. */
interface Enrolment {
  user: string;
  expiresMs: number;
  secret?: string;
}

/** How long a password-only ticket may be used to enrol TOTP. */
const TICKET_MS = 10 * 60_000;
const MAX_TICKETS = 10_000;

/** Sealing context: a sealed TOTP secret opens only as this user's. */
export const totpContext = (user: string) => `totp:${user}`;

/**
 * Signing in with a password and a TOTP code (RFC 6238), and what a user does about their own
 * credentials: enrol TOTP, change the password, list and revoke sessions.
 *
 * - A session starts only after the password and a valid code (or an unspent recovery code).
 *   A user without TOTP gets an enrolment ticket instead, good for enrolling and nothing else.
 * - A code is accepted once: the step is journaled (USER_LOGIN), so a code replayed on another
 *   door, after a restart or in a race is refused by the engine's own order.
 * - Failures are counted per user and per address by the login guard (locks with doubling
 *   back-off); every attempt is in the audit log. An unknown user costs the same argon2id verify
 *   as a known one (a stand-in hash), so the time does not tell a prober who exists.
 */
export class SignIn {
  private readonly tickets = new Map<string, Enrolment>();
  private readonly now: () => number;
  /** Told of a session that started while the user had others (beside the notices below). */
  onConcurrent: (user: User, started: SessionInfo, others: SessionInfo[]) => void = () => {};
  /** For each session, what it has not yet been told: another session of its user started (REST: the Bourse-Notice header of its next answer). */
  private readonly notices = new Map<string, string[]>();

  constructor(private readonly d: SignInDeps) {
    this.now = d.clock ?? Date.now;
  }

  async signIn(name: string, password: string, proof: { code?: string; recoveryCode?: string }, o: Origin): Promise<Outcome<SignedIn>> {
    const now = this.now();
    const subject = `user:${name}`;
    const v = this.d.guard.check(subject, o.address, now);
    if (!v.ok) return this.refuse(o, subject, "locked", fail("rate-limited", "RATE_LIMITED", `too many failed sign-ins; try again in ${Math.ceil(v.retryAfterMs / 1000)} s`, v.retryAfterMs));
    const user = this.d.directory.identity.users.get(name);
    const r = await this.d.hasher.verifyOrStandIn(user ? unpackHash(user.password) : undefined, password);
    if (!r.ok) return this.refuse(o, subject, "busy", fail("rate-limited", "BUSY", "too many sign-ins at once; try again in a second", 1_000));
    if (!user || !r.match) {
      this.d.guard.failed(subject, user !== undefined, o.address, now);
      return this.refuse(o, subject, "bad-credentials", BAD_CREDENTIALS);
    }
    if (user.locked) return this.refuse(o, subject, "user-locked", fail("forbidden", "USER_LOCKED", "this user is locked; ask an operator"));
    if (!user.mfa) {
      this.d.guard.succeeded(subject, o.address);
      const ticket = this.ticket(user.name, now);
      this.d.audit.record({ timeMs: now, door: o.door, address: o.address, subject, outcome: "enrol" });
      return done({ kind: "enrol", ticket, expiresMs: now + TICKET_MS });
    }
    const spent = await this.spendCode(user, proof, o, subject, now);
    if (!spent.ok) return spent;
    this.d.guard.succeeded(subject, o.address);
    return done(this.startSession(user, o, now));
  }

  /**
   * A fresh one-time code from a signed-in user, for what asks for one (a new API key, a
   * withdrawal): checked and journaled like a sign-in's, so it too is accepted once.
   */
  async freshCode(user: User, code: string | undefined, o: Origin): Promise<Outcome<true>> {
    const now = this.now();
    const subject = `user:${user.name}`;
    if (code === undefined || code === "") return fail("auth", "MFA_REQUIRED", "this action needs a fresh one-time code (totp)");
    const v = this.d.guard.check(subject, o.address, now);
    if (!v.ok) return fail("rate-limited", "RATE_LIMITED", `too many failed codes; try again in ${Math.ceil(v.retryAfterMs / 1000)} s`, v.retryAfterMs);
    return this.spendCode(user, { code }, o, subject, now);
  }

  /** Step one of enrolment: a new secret for the ticket's user, as an otpauth:// URI and a QR code. */
  async enrolStart(ticket: string): Promise<Outcome<{ secret: string; uri: string; qrSvg: string }>> {
    const e = this.liveTicket(ticket);
    if (!e) return fail("auth", "BAD_TICKET", "the enrolment ticket is unknown or expired; sign in again");
    e.secret = newTotpSecret();
    const uri = totpUri(e.secret, e.user);
    return done({ secret: e.secret, uri, qrSvg: await totpQrSvg(uri) });
  }

  /**
   * Step two: the first code from the app proves it holds the secret. The secret (sealed) and ten
   * recovery codes (hashed) are journaled, the code's step spent, and a session starts. The
   * recovery codes are returned this once.
   */
  async enrolConfirm(ticket: string, code: string, o: Origin): Promise<Outcome<{ recoveryCodes: string[]; signedIn: SignedIn }>> {
    const now = this.now();
    const e = this.liveTicket(ticket);
    if (!e || e.secret === undefined) return fail("auth", "BAD_TICKET", "the enrolment ticket is unknown or expired, or enrolment was not started");
    const subject = `user:${e.user}`;
    const check = checkTotp(e.secret, code, now, 0);
    if (!check.ok) {
      this.d.guard.failed(subject, true, o.address, now);
      return this.refuse(o, subject, "mfa-wrong", fail("auth", "MFA_WRONG", "that code is not the app's current code; check the phone's clock"));
    }
    const user = this.d.directory.identity.users.get(e.user);
    if (!user || user.locked) return fail("forbidden", "USER_LOCKED", "this user is locked or gone");
    if (user.mfa) return fail("conflict", "MFA_ENROLLED", "TOTP is already enrolled; an operator can reset it");
    const { codes, hashes } = newRecoveryCodes();
    const steps = [
      { type: CommandType.USER_TOTP, clientOrderId: e.user, destination: this.d.box.seal(e.secret, totpContext(e.user)) },
      { type: CommandType.USER_RECOVERY, clientOrderId: e.user, qty: 0, destination: hashes.slice(0, 4).join(".") },
      { type: CommandType.USER_RECOVERY, clientOrderId: e.user, qty: 1, destination: hashes.slice(4, 8).join(".") },
      { type: CommandType.USER_RECOVERY, clientOrderId: e.user, qty: 2, destination: hashes.slice(8).join(".") },
      { type: CommandType.USER_LOGIN, clientOrderId: e.user, qty: check.step },
    ];
    for (const s of steps) {
      const r = await this.d.directory.submit({ ...s, actor: Actor.USER, session: user.id });
      if (!r.ok) return refusedBy(r.reason);
    }
    this.tickets.delete(ticket);
    return done({ recoveryCodes: codes, signedIn: this.startSession(user, o, now) });
  }

  /** The caller's session from its bearer token, or why not (idle, expired, revoked, unknown). */
  session(token: string): Outcome<Caller & { kind: "user" }> {
    const t = this.d.sessions.touch(token, this.now());
    if (!t.ok) return fail("auth", "SESSION_" + t.reason.toUpperCase(), t.reason === "unknown" ? "no such session; sign in" : `the session has ended (${t.reason}); sign in again`);
    const user = this.d.directory.identity.usersById.get(t.session.userId);
    if (!user || user.locked) {
      this.d.sessions.revoke(t.session.userId, t.session.id, "user locked");
      return fail("auth", "SESSION_REVOKED", "the session has ended (user locked); ask an operator");
    }
    return done({ kind: "user", user, session: t.session });
  }

  /** A new password (policy checked, argon2id), after the current one; every other session of the user ends. */
  async changePassword(c: Caller & { kind: "user" }, current: string, next: string): Promise<Outcome<{ revokedSessions: number }>> {
    const problem = passwordProblem(next);
    if (problem !== null) return fail("bad-input", "WEAK_PASSWORD", problem);
    const r = await this.d.hasher.verify(unpackHash(c.user.password), current);
    if (!r.ok) return fail("rate-limited", "BUSY", "too many password checks at once; try again in a second", 1_000);
    if (!r.match) return fail("auth", "AUTH_FAILED", "the current password is wrong");
    const h = await this.d.hasher.hash(next);
    if (!h.ok) return fail("rate-limited", "BUSY", "too many password checks at once; try again in a second", 1_000);
    const s = await this.d.directory.submit({ type: CommandType.USER_PASSWORD, clientOrderId: c.user.name, destination: packHash(h.hash), actor: Actor.USER, session: c.user.id });
    if (!s.ok) return refusedBy(s.reason);
    return done({ revokedSessions: this.d.sessions.revokeOthers(c.user.id, c.session.id, "password changed") });
  }

  /** What a session has not been told yet (another session started), once. */
  takeNotices(sessionId: string): string[] {
    const list = this.notices.get(sessionId);
    if (list === undefined) return [];
    this.notices.delete(sessionId);
    return list;
  }

  listSessions(c: Caller & { kind: "user" }): SessionInfo[] {
    return this.d.sessions.list(c.user.id, this.now());
  }

  revokeSession(c: Caller & { kind: "user" }, id: string): Outcome<true> {
    return this.d.sessions.revoke(c.user.id, id, "revoked by the user") ? done(true) : fail("not-found", "UNKNOWN_SESSION", "no such live session of yours");
  }

  /**
   * Whether a sign-in would be refused busy now (the hasher's line is full): the door answers 429
   * before it reads the body, so a storm of retries costs next to nothing (bench/login.ts).
   */
  get busy(): boolean {
    return this.d.hasher.full;
  }

  /** A new initial password: long and random, shown once to whoever made the user. */
  static initialPassword(): string {
    return randomBytes(18).toString("base64url");
  }

  private async spendCode(user: User, proof: { code?: string; recoveryCode?: string }, o: Origin, subject: string, now: number): Promise<Outcome<true>> {
    let step = 0;
    let recovery = 0;
    if (proof.recoveryCode !== undefined && proof.recoveryCode !== "") {
      const i = matchRecoveryCode(proof.recoveryCode, user.recovery.map((h) => (h === "" ? null : h)));
      if (i < 0) {
        this.d.guard.failed(subject, true, o.address, now);
        return this.refuse(o, subject, "recovery-wrong", fail("auth", "AUTH_FAILED", "that recovery code is wrong or spent"));
      }
      recovery = i + 1;
    } else {
      if (proof.code === undefined || proof.code === "") return this.refuse(o, subject, "mfa-missing", fail("auth", "MFA_REQUIRED", "a one-time code (totp) or a recovery code is required"));
      const check = checkTotp(this.d.directory.open(user.totp, totpContext(user.name)), proof.code, now, user.totpStep);
      if (!check.ok) {
        if (check.reason === "replayed") return this.refuse(o, subject, "mfa-replayed", REPLAYED);
        this.d.guard.failed(subject, true, o.address, now);
        return this.refuse(o, subject, "mfa-wrong", fail("auth", "MFA_WRONG", "that code is not the current one"));
      }
      step = check.step;
    }
    // Journaled before anything is granted: a second use, here or on another door, meets the engine's refusal.
    const r = await this.d.directory.submit({ type: CommandType.USER_LOGIN, clientOrderId: user.name, qty: step, price: recovery, actor: Actor.USER, session: user.id });
    if (!r.ok) return this.refuse(o, subject, "mfa-replayed", r.reason === Reason.TOTP_REPLAYED ? REPLAYED : refusedBy(r.reason));
    this.d.audit.record({ timeMs: now, door: o.door, address: o.address, subject, outcome: recovery > 0 ? "ok-recovery-code" : "ok" });
    return done(true);
  }

  private startSession(user: User, o: Origin, now: number): SignedIn {
    const { token, session, others } = this.d.sessions.create({ userId: user.id, user: user.name, address: o.address, agent: o.agent ?? "", nowMs: now });
    if (others.length > 0) {
      const text = `another session of ${user.name} started at ${new Date(now).toISOString()} from ${o.address || "an unknown address"} (${o.door}); if it was not you, revoke it and change your password`;
      for (const other of others) {
        const list = this.notices.get(other.id) ?? [];
        // A bounded list: a storm of sign-ins tells the newest few.
        if (list.length >= 8) list.shift();
        list.push(text);
        this.notices.set(other.id, list);
      }
      this.onConcurrent(user, session, others);
    }
    return { kind: "session", token, session, others };
  }

  private ticket(user: string, now: number): string {
    if (this.tickets.size >= MAX_TICKETS) for (const [t, e] of this.tickets) if (e.expiresMs <= now) this.tickets.delete(t);
    // Still full of live ones: the oldest goes (its user signs in again).
    if (this.tickets.size >= MAX_TICKETS) this.tickets.delete(this.tickets.keys().next().value!);
    const t = randomBytes(24).toString("base64url");
    this.tickets.set(t, { user, expiresMs: now + TICKET_MS });
    return t;
  }

  private liveTicket(ticket: string): Enrolment | undefined {
    const e = this.tickets.get(ticket);
    if (e && e.expiresMs <= this.now()) {
      this.tickets.delete(ticket);
      return undefined;
    }
    return e;
  }

  private refuse(o: Origin, subject: string, outcome: string, f: Failure): Failure {
    this.d.audit.record({ timeMs: this.now(), door: o.door, address: o.address, subject, outcome });
    return f;
  }
}

/** One answer for an unknown user and a wrong password. */
const BAD_CREDENTIALS = fail("auth", "AUTH_FAILED", "wrong user name or password");
const REPLAYED = fail("auth", "MFA_REPLAYED", "that one-time code was already used; wait for the next one");
