/**
 * Brute force, held off at the one authenticate(): failed logins are counted per key and per
 * address. After `keyFailures` wrong proofs for a key (or `addressFailures` from one address,
 * whatever keys it names) further logins for it are refused at once, without the proof being
 * checked, for a lock that doubles with each lockout (1 s, 2 s, 4 s, … up to `maxLockMs`) until a
 * login succeeds. A refused attempt during a lock does not extend it, so an attacker cannot keep
 * the owner locked out forever, but gets at most one guess per lock: a guess rate that halves with
 * every lockout. Unknown key ids count against the address only (they are the attacker's to
 * choose: counting them by id would let anyone fill memory). Everything is in memory: a restart
 * forgets the counts, which costs an attacker a restart of the exchange.
 */
export interface LoginGuardOptions {
  /** Wrong proofs for one key before it locks. Default 10. */
  keyFailures?: number;
  /** Wrong proofs from one address (any keys) before it locks. Default 50. */
  addressFailures?: number;
  /** The first lock; each further one doubles. Default 1,000 ms. */
  baseLockMs?: number;
  /** The longest lock. Default 15 min. */
  maxLockMs?: number;
  /** Addresses remembered at most (the least recently failed are forgotten first). Default 100,000. */
  maxAddresses?: number;
}

interface Counter {
  failures: number;
  /** Lockouts since the last success: the next lock is baseLockMs × 2^lockouts. */
  lockouts: number;
  lockedUntil: number;
}

export type GuardVerdict = { ok: true } | { ok: false; retryAfterMs: number; what: "key" | "address" };

export class LoginGuard {
  private readonly keys = new Map<string, Counter>();
  private readonly addresses = new Map<string, Counter>();
  private readonly keyFailures: number;
  private readonly addressFailures: number;
  private readonly baseLockMs: number;
  private readonly maxLockMs: number;
  private readonly maxAddresses: number;
  /** Wrong proofs since start, every door (for /metrics: no key or address is kept there). */
  failures = 0;
  /** Locks started since start, of a key and of an address. */
  keyLockouts = 0;
  addressLockouts = 0;

  constructor(o: LoginGuardOptions = {}) {
    this.keyFailures = o.keyFailures ?? 10;
    this.addressFailures = o.addressFailures ?? 50;
    this.baseLockMs = o.baseLockMs ?? 1_000;
    this.maxLockMs = o.maxLockMs ?? 15 * 60_000;
    this.maxAddresses = o.maxAddresses ?? 100_000;
  }

  /** Whether a login for `keyId` from `address` may be checked now. */
  check(keyId: string, address: string, nowMs: number): GuardVerdict {
    const a = this.addresses.get(address);
    if (a && a.lockedUntil > nowMs) return { ok: false, retryAfterMs: a.lockedUntil - nowMs, what: "address" };
    const k = this.keys.get(keyId);
    if (k && k.lockedUntil > nowMs) return { ok: false, retryAfterMs: k.lockedUntil - nowMs, what: "key" };
    return { ok: true };
  }

  /** A wrong proof. `knownKey`: the key id exists (an unknown one counts against the address only). */
  failed(keyId: string, knownKey: boolean, address: string, nowMs: number): void {
    this.failures++;
    if (knownKey && this.count(this.keys, keyId, this.keyFailures, nowMs)) this.keyLockouts++;
    if (!this.addresses.has(address) && this.addresses.size >= this.maxAddresses) {
      // Forget the oldest entry (Map keeps insertion order; a failing address is re-inserted below).
      this.addresses.delete(this.addresses.keys().next().value!);
    }
    const c = this.addresses.get(address);
    if (c) {
      this.addresses.delete(address);
      this.addresses.set(address, c);
    }
    if (this.count(this.addresses, address, this.addressFailures, nowMs)) this.addressLockouts++;
  }

  /** A good login: its key and address start afresh. */
  succeeded(keyId: string, address: string): void {
    this.keys.delete(keyId);
    this.addresses.delete(address);
  }

  /** Counts a failure; true when it locks `id`. */
  private count(m: Map<string, Counter>, id: string, limit: number, nowMs: number): boolean {
    let c = m.get(id);
    if (!c) m.set(id, (c = { failures: 0, lockouts: 0, lockedUntil: 0 }));
    c.failures++;
    if (c.failures >= limit) {
      c.lockedUntil = nowMs + Math.min(this.maxLockMs, this.baseLockMs * 2 ** c.lockouts);
      c.lockouts++;
      // One more wrong proof after the lock ends locks it again, for twice as long.
      c.failures = limit - 1;
      return true;
    }
    return false;
  }
}
