/**
 * Users' passwords, hashed with argon2id (Bun.password): slow and memory-hard on purpose, so a
 * stolen journal costs an attacker ~0.1–0.25 s of a core and 64 MiB per guess. The same cost lands
 * on the exchange at every login, so the hashes run through a small FIFO queue: at most
 * `concurrency` at once (each takes a core), at most `maxQueued` waiting, and past that a login is
 * refused at once (`{ ok: false, busy: true }`, the door's 429) rather than queued behind a storm
 * while order entry starves for CPU.
 *
 * Bun.password.hash/verify (the async forms) run on Bun's thread pool: the event loop goes on
 * turning while they work (measured: a 1 ms timer's drift stays under ~6 ms during 8 concurrent
 * verifies; verifySync stalls it for the whole ~100 ms). The bound is about cores, not the loop.
 *
 * Why a result and not an exception for "busy": a refusal under load is an expected answer the
 * door must word (429 and a Retry-After), like authenticate()'s refusals; a union the compiler
 * makes the caller look at cannot turn into a 500 by being forgotten.
 */
import { randomBytes } from "node:crypto";
import { OperatorError } from "../../actors/operator-error.ts";

export interface PasswordHasherOptions {
  /**
   * Hashes and verifies running at once. Default 2. They run on Bun's thread pool, never on the
   * event loop; the bound is for memory (64 MiB each) and CPU. bench/login.ts measured order
   * latency during a storm with 1, 2 and 64: 2 verifies twice as many sign-ins as 1 with the same
   * effect on orders, once refusals are paused (gateway/rest/routes/identity.ts).
   */
  concurrency?: number;
  /** Hashes and verifies waiting for a slot before more are refused. Default 32. */
  maxQueued?: number;
  /** argon2id memory in KiB; default Bun's (65,536 = 64 MiB). */
  memoryCost?: number;
  /** argon2id passes; default Bun's (2). */
  timeCost?: number;
}

/** Too many hashes running and waiting: refused unchecked, to be tried again later. */
export type Busy = { ok: false; busy: true };
export type HashResult = { ok: true; hash: string } | Busy;
export type VerifyResult = { ok: true; match: boolean } | Busy;

const BUSY: Busy = Object.freeze({ ok: false, busy: true });

export class PasswordHasher {
  private readonly concurrency: number;
  private readonly maxQueued: number;
  private readonly params: { algorithm: "argon2id"; memoryCost?: number; timeCost?: number };
  private running = 0;
  /** Who waits for a slot, oldest first; a finishing job hands its slot to the head. */
  private readonly waiting: (() => void)[] = [];
  /** A hash of a password nobody knows, made once: what an unknown user's login is verified against. */
  private readonly standIn: Promise<string>;

  constructor(o: PasswordHasherOptions = {}) {
    this.concurrency = o.concurrency ?? 2;
    this.maxQueued = o.maxQueued ?? 32;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new OperatorError(`password hashing: concurrency must be a positive integer, got ${o.concurrency}`);
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 0) throw new OperatorError(`password hashing: maxQueued must be a non-negative integer, got ${o.maxQueued}`);
    this.params = { algorithm: "argon2id", ...(o.memoryCost !== undefined ? { memoryCost: o.memoryCost } : {}), ...(o.timeCost !== undefined ? { timeCost: o.timeCost } : {}) };
    // With the same parameters as real hashes, so a stand-in verify costs what a real one does.
    this.standIn = Bun.password.hash(randomBytes(32).toString("base64url"), this.params);
  }

  /** Every slot running and the line full: the next hash or verify is refused busy. */
  get full(): boolean {
    return this.running >= this.concurrency && this.waiting.length >= this.maxQueued;
  }

  /** Hashes and verifies running now, and waiting. */
  get load(): { running: number; queued: number } {
    return { running: this.running, queued: this.waiting.length };
  }

  /** The encoded argon2id hash of `password` (after NFKC, see normalize), or busy. */
  async hash(password: string): Promise<HashResult> {
    const r = await this.slot(() => Bun.password.hash(normalize(password), this.params));
    return r === BUSY ? BUSY : { ok: true, hash: r as string };
  }

  /** Whether `password` matches the encoded hash `hash`, or busy. A malformed hash rejects (a corrupt record, not a wrong password). */
  async verify(hash: string, password: string): Promise<VerifyResult> {
    const r = await this.slot(() => Bun.password.verify(normalize(password), hash));
    return r === BUSY ? BUSY : { ok: true, match: r as boolean };
  }

  /**
   * verify() for a user who may not exist (`hash` undefined): then against the stand-in, and never
   * a match. The work and the queue are the same either way, so neither the answer's time nor a
   * busy refusal tells a prober whether the user name exists.
   */
  async verifyOrStandIn(hash: string | undefined, password: string): Promise<VerifyResult> {
    const against = hash ?? (await this.standIn);
    const r = await this.verify(against, password);
    return r.ok && hash === undefined ? { ok: true, match: false } : r;
  }

  /** Runs `job` in a slot, waiting in line for one; BUSY at once when the line is full. */
  private async slot<T>(job: () => Promise<T>): Promise<T | Busy> {
    if (this.running < this.concurrency) this.running++;
    else if (this.waiting.length >= this.maxQueued) return BUSY;
    // Woken by a finishing job, whose slot we inherit (running stays counted): no newcomer can take it first.
    else await new Promise<void>((wake) => this.waiting.push(wake));
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/**
 * NIST SP 800-63B (5.1.1.2): Unicode passwords are normalized (NFKC) before hashing, so the same
 * password typed on two keyboards that compose "é" differently still matches. Applied to hash and
 * verify alike; changing it would lock out whoever set a non-ASCII password before.
 */
function normalize(password: string): string {
  return password.normalize("NFKC");
}

/** Password length bounds, in Unicode code points after NFKC. */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

/**
 * Why a new password is refused, in words for its user, or null when it is acceptable. NIST SP
 * 800-63B style: length is what makes a password strong, so at least 12 characters (code points,
 * spaces and any Unicode allowed, so passphrases work), at most 256 (a bound on the work, far
 * above any real passphrase), and none of the composition rules ("a digit and a symbol") that
 * make users write Password1! and forget it. A run of one character is refused as the one
 * trivially guessable long password; a breached-password list would be the next check.
 */
export function passwordProblem(password: string): string | null {
  const chars = [...normalize(password)];
  if (chars.length < PASSWORD_MIN) return `a password needs at least ${PASSWORD_MIN} characters`;
  if (chars.length > PASSWORD_MAX) return `a password may have at most ${PASSWORD_MAX} characters`;
  if (chars.every((c) => c === chars[0])) return "a password cannot be one character repeated";
  return null;
}

/** An encoded hash packHash() cannot pack, or a packed one unpackHash() cannot read. */
export class HashFormatError extends Error {
  override name = "HashFormatError";
}

/**
 * The journal keeps a password hash in at most 96 printable-ASCII characters. Bun's encoded
 * argon2id hash is 118 ("$argon2id$v=19$m=65536,t=2,p=1$" + a 32-byte salt and a 32-byte hash in
 * unpadded base64, 43 characters each): 103 even without the constant "$argon2id$v=19$". So the
 * packed form is binary, base64url: a format byte (1), m in KiB (u32), t (u8), p (u8), the salt's
 * length (u8), the salt, the hash: 72 bytes = exactly 96 characters for Bun's 32+32 bytes.
 * Anything but argon2id v19 is refused, as is a hash whose text would not come back byte for
 * byte (non-canonical base64), so unpackHash(packHash(h)) === h always.
 */
export const PACKED_HASH_MAX = 96;
const PACK_FORMAT = 1;
const ENCODED = /^\$argon2id\$v=19\$m=(\d{1,10}),t=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

export function packHash(encoded: string): string {
  const m = ENCODED.exec(encoded);
  if (!m) throw new HashFormatError("not an argon2id v19 encoded hash");
  const [mem, t, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const salt = Buffer.from(m[4]!, "base64");
  const hash = Buffer.from(m[5]!, "base64");
  if (mem > 0xffffffff || t > 255 || p > 255 || salt.length > 255) throw new HashFormatError("argon2id parameters out of the packed format's range");
  if (b64(salt) !== m[4] || b64(hash) !== m[5]) throw new HashFormatError("argon2id hash with non-canonical base64");
  const head = Buffer.alloc(8);
  head.writeUInt8(PACK_FORMAT, 0);
  head.writeUInt32BE(mem, 1);
  head.writeUInt8(t, 5);
  head.writeUInt8(p, 6);
  head.writeUInt8(salt.length, 7);
  const packed = Buffer.concat([head, salt, hash]).toString("base64url");
  if (packed.length > PACKED_HASH_MAX) throw new HashFormatError(`packed hash is ${packed.length} characters, more than ${PACKED_HASH_MAX}`);
  return packed;
}

export function unpackHash(packed: string): string {
  const bytes = /^[A-Za-z0-9_-]+$/.test(packed) ? Buffer.from(packed, "base64url") : Buffer.alloc(0);
  if (bytes.length < 9 || bytes[0] !== PACK_FORMAT) throw new HashFormatError("not a packed argon2id hash");
  const saltLength = bytes[7]!;
  if (bytes.length <= 8 + saltLength) throw new HashFormatError("packed argon2id hash is truncated");
  const salt = bytes.subarray(8, 8 + saltLength);
  const hash = bytes.subarray(8 + saltLength);
  return `$argon2id$v=19$m=${bytes.readUInt32BE(1)},t=${bytes[5]},p=${bytes[6]}$${b64(salt)}$${b64(hash)}`;
}

/** The PHC string format's base64: standard alphabet, no padding. */
const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64").replace(/=+$/, "");
