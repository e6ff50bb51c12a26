import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { type Login, verifyLogin } from "../../protocol/index.ts";
import { verifyRestSignature } from "../../protocol/rest-signature.ts";
import { type ApiKeys, DEFAULT_SCOPES, type Scope } from "./keys.ts";
import type { LoginGuard } from "./login-guard.ts";

/**
 * The one check every door makes of a client's credentials: the WebSocket LOGIN, the FIX Logon and
 * the coming REST door each say which key they claim and how they prove they hold its secret, and
 * get the same answer: the account and key id, or a typed refusal the door words in its protocol.
 */
export type Proof =
  /**
   * WebSocket LOGIN (docs/protocol.md, Login): an HMAC-SHA256 under the key's secret over the
   * server's per-connection nonce, the client's timestamp, its flags and the key id; the secret
   * never crosses the wire, and a captured LOGIN is worth nothing on another connection. `now`:
   * the server's time (µs since the epoch), which the login's timestamp must be within LOGIN_SKEW_US of.
   */
  | { kind: "hmac"; nonce: Uint8Array; login: Login; now: number }
  /** FIX Logon (docs/fix.md): the secret itself, in Password (554), compared in constant time. */
  | { kind: "secret"; secret: string }
  /**
   * A signed REST request (docs/rest.md, Signing; protocol/rest-signature.ts): an HMAC-SHA256
   * under the key's secret over timestamp, method, path with query and body. The timestamp (ms,
   * as its header spells it) must be within `windowMs` of the server's clock (Credentials.nowMs),
   * and a right signature is accepted once: `replays` remembers it until it would be stale anyway.
   */
  | { kind: "signature"; timestamp: string; method: string; pathWithQuery: string; body: Uint8Array; signature: string; windowMs: number; replays: SeenSignatures };

/** The signatures accepted recently (gateway/rest/signature.ts): false when `signature` was already. */
export interface SeenSignatures {
  remember(signature: string, forgetAfterMs: number, nowMs: number): boolean;
}

export interface Credentials {
  /** The API key id the client names (WebSocket apiKeyId, FIX Username 553, REST BOURSE-KEY). */
  keyId: string;
  proof: Proof;
  /** Where the attempt comes from, and the guard that counts failures (gateway/auth/login-guard.ts); without one, nothing is counted. */
  address?: string;
  guard?: LoginGuard;
  /** Wall-clock ms, for the guard. Default Date.now(). */
  nowMs?: number;
}

export const AuthRefusal = {
  /** An unknown key id or a wrong proof: one answer for both, so a client cannot probe which ids exist. */
  BAD_CREDENTIALS: "bad-credentials",
  /** A signed proof's timestamp too far from the server's clock (checked first: it says nothing of the key). */
  STALE_TIMESTAMP: "stale-timestamp",
  /** Too many wrong proofs for this key or from this address: refused unchecked until `retryAfterMs` has passed. */
  LOCKED: "locked",
  /** A signed request's signature accepted before: a replay (or a client sending one request twice in a millisecond). */
  REPLAYED: "replayed",
  /** A right proof from an address the key's allowlist does not name. */
  ADDRESS_NOT_ALLOWED: "address-not-allowed",
} as const;
export type AuthRefusal = (typeof AuthRefusal)[keyof typeof AuthRefusal];

export type AuthResult = { ok: true; account: number; keyId: string; scopes: readonly Scope[] } | { ok: false; refusal: AuthRefusal; retryAfterMs?: number };

/** How far a signed login's timestamp may be from the server's clock. */
export const LOGIN_SKEW_US = 30_000_000;

export function authenticate(keys: ApiKeys, c: Credentials): AuthResult {
  const p = c.proof;
  const guard = c.guard;
  const address = c.address ?? "";
  const nowMs = c.nowMs ?? Date.now();
  // A locked key or address is refused before its proof is looked at: a lock admits no guess.
  if (guard) {
    const v = guard.check(c.keyId, address, nowMs);
    if (!v.ok) return { ok: false, refusal: AuthRefusal.LOCKED, retryAfterMs: v.retryAfterMs };
  }
  if (p.kind === "hmac" && Math.abs(p.now - p.login.timestamp) > LOGIN_SKEW_US) return { ok: false, refusal: AuthRefusal.STALE_TIMESTAMP };
  if (p.kind === "signature" && !(Math.abs(nowMs - Number(p.timestamp)) <= p.windowMs)) return { ok: false, refusal: AuthRefusal.STALE_TIMESTAMP };
  const key = keys.get(c.keyId);
  // An unknown key id is checked against a stand-in secret: the same work either way, so the time
  // an answer takes does not tell a prober which key ids exist.
  const against = key?.secret ?? STAND_IN_SECRET;
  const proved = p.kind === "hmac" ? verifyLogin(against, p.nonce, p.login) : p.kind === "signature" ? verifyRestSignature(against, p.timestamp, p.method, p.pathWithQuery, p.body, p.signature) : sameSecret(against, p.secret);
  const good = key !== undefined && proved;
  if (!good) {
    guard?.failed(c.keyId, key !== undefined, address, nowMs);
    return { ok: false, refusal: AuthRefusal.BAD_CREDENTIALS };
  }
  // A replay proves nothing new: it neither counts as a failure nor clears the guard's counts (a
  // captured request replayed between guesses would otherwise keep a lock from ever coming).
  if (p.kind === "signature" && !p.replays.remember(p.signature, Number(p.timestamp) + p.windowMs, nowMs)) return { ok: false, refusal: AuthRefusal.REPLAYED };
  guard?.succeeded(c.keyId, address);
  // Checked after the proof: only the key's holder learns that the address is the reason.
  if (!keys.allows(key.id, address)) return { ok: false, refusal: AuthRefusal.ADDRESS_NOT_ALLOWED };
  return { ok: true, account: key.account, keyId: key.id, scopes: key.scopes ?? DEFAULT_SCOPES };
}

/** Compared as SHA-256 digests in constant time: neither the secret's bytes nor its length show in the timing. */
function sameSecret(expected: string, given: string): boolean {
  return timingSafeEqual(createHash("sha256").update(expected).digest(), createHash("sha256").update(given).digest());
}

const STAND_IN_SECRET = randomBytes(32).toString("hex");
