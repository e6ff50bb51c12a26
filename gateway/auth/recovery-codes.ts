/**
 * Recovery codes: ten single-use codes a user prints when enrolling TOTP, each standing in for one
 * TOTP code when the phone is lost. Shown once, stored only as hashes; the caller marks a used
 * code's hash spent (null) so it cannot be used again.
 *
 * Why SHA-256 and not argon2: argon2 is slow to make guessing a *human-chosen* password costly. A
 * recovery code is 80 bits from the CSPRNG: there is nothing to guess smarter than brute force,
 * and 2^80 SHA-256 evaluations is out of reach even against every stored code at once (a GPU does
 * ~10^10 a second: 10^6 stored codes still leave ~4 years of 1,000 GPUs per expected hit), so a
 * fast hash costs an attacker what a slow one would on a weak secret, without costing the
 * exchange 0.2 s of CPU per code on the login path (ten codes to check). 80 and not 60 bits for
 * that reason: an unsalted 60-bit code set falls to such a multi-target search in hours. The hash
 * is truncated to 128 bits (22 base64url characters) to fit the journal; a preimage is still 2^128.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Crockford's base32: no I, L, O or U, so nothing is misread; typed I/L and O read as 1 and 0. */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
export const RECOVERY_CODE_COUNT = 10;
const GROUPS = 4;
const GROUP_CHARS = 4;
/** 16 characters × 5 bits. */
export const RECOVERY_CODE_BITS = GROUPS * GROUP_CHARS * 5;

/** Ten new codes (xxxx-xxxx-xxxx-xxxx), to show once, and their hashes, in the same order, to store. */
export function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes: string[] = [];
  for (let i = 0; i < RECOVERY_CODE_COUNT; i++) {
    // One byte per character, its low 5 bits: 256 is a multiple of 32, so each character is uniform.
    const bytes = randomBytes(GROUPS * GROUP_CHARS);
    const chars = [...bytes].map((b) => ALPHABET[b & 31]!).join("");
    codes.push(chars.match(new RegExp(`.{${GROUP_CHARS}}`, "g"))!.join("-"));
  }
  return { codes, hashes: codes.map((c) => hashOf(normalize(c)!)) };
}

/**
 * The index in `hashes` of the unspent code `code` is, or -1. Case, dashes and spaces do not
 * matter. Every stored hash is compared, in constant time, whatever matched: the answer's time
 * says nothing of which code, or whether one, matched.
 */
export function matchRecoveryCode(code: string, hashes: readonly (string | null)[]): number {
  const n = normalize(code);
  // Something that cannot be a code is still hashed and compared, for the same time.
  const given = Buffer.from(hashOf(n ?? ""), "base64url");
  let found = -1;
  hashes.forEach((h, i) => {
    if (h === null) return;
    const stored = Buffer.from(h, "base64url");
    if (stored.length === given.length && timingSafeEqual(stored, given) && n !== null && found < 0) found = i;
  });
  return found;
}

/** The code's canonical form (16 alphabet characters), or null when it cannot be a code. */
function normalize(code: string): string | null {
  const c = code.toLowerCase().replace(/[\s-]/g, "").replace(/[il]/g, "1").replace(/o/g, "0");
  return c.length === GROUPS * GROUP_CHARS && [...c].every((ch) => ALPHABET.includes(ch)) ? c : null;
}

/** SHA-256 of the canonical code, its first 16 bytes, base64url: 22 characters. */
function hashOf(canonical: string): string {
  return createHash("sha256").update(`bourse-recovery-code:${canonical}`).digest().subarray(0, 16).toString("base64url");
}
