/**
 * Encryption at rest for the secrets the server must read back, unlike passwords it only checks:
 * TOTP secrets and API keys' HMAC secrets. They are journaled sealed under a master key that is
 * not in the journal, so a copied journal or backup gives up no second factor and no key.
 *
 * AES-256-GCM (node:crypto): authenticated, so a wrong key or a flipped bit fails to open instead
 * of yielding garbage; a random 96-bit IV per seal (the size GCM is built for; at 2^32 seals per
 * key the collision risk stays under NIST's 2^-32, far beyond the secrets an exchange keeps).
 * Sealed form: a version character ("1") and base64url of iv | tag | ciphertext, printable ASCII
 * for the journal's ≤ 96-character fields: 65 characters for 20 bytes (a TOTP secret), 81 for 32
 * (an HMAC secret), at most 43 bytes in all. An optional `context` is bound in as associated
 * data, so a sealed value moved to another record (another user's TOTP) does not open there.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OperatorError, systemCode } from "../../actors/operator-error.ts";
import type { Logger } from "../../log/logger.ts";

const VERSION = "1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const MASTER_KEY_BYTES = 32;
/** The journal's field; seal refuses anything whose sealed form would not fit. */
export const SEALED_MAX = 96;

/** A sealed value that does not open: a wrong key, a wrong context, tampering, or not a sealed value at all. */
export class SecretBoxOpenError extends Error {
  override name = "SecretBoxOpenError";
}

/** A value too long to seal into a journal field. */
export class SecretTooLongError extends Error {
  override name = "SecretTooLongError";
}

export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    // The message names the length only: never anything of the key.
    if (key.length !== MASTER_KEY_BYTES) throw new RangeError(`SecretBox needs a ${MASTER_KEY_BYTES}-byte key, got ${key.length} bytes`);
    this.key = Buffer.from(key);
  }

  sealBytes(plain: Uint8Array, context = ""): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const sealed = VERSION + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
    if (sealed.length > SEALED_MAX) throw new SecretTooLongError(`a ${plain.length}-byte secret seals to ${sealed.length} characters, more than ${SEALED_MAX}`);
    return sealed;
  }

  openBytes(sealed: string, context = ""): Uint8Array {
    if (sealed[0] !== VERSION || !/^[A-Za-z0-9_-]+$/.test(sealed.slice(1))) throw new SecretBoxOpenError("not a sealed secret");
    const raw = Buffer.from(sealed.slice(1), "base64url");
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretBoxOpenError("sealed secret is truncated");
    const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return new Uint8Array(Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]));
    } catch (e) {
      throw new SecretBoxOpenError("sealed secret does not open: wrong master key, wrong record, or altered", { cause: e });
    }
  }

  /** A text secret (UTF-8), e.g. a base32 TOTP secret; sealBytes of its decoded bytes is shorter. */
  seal(plain: string, context = ""): string {
    return this.sealBytes(Buffer.from(plain, "utf8"), context);
  }

  open(sealed: string, context = ""): string {
    return Buffer.from(this.openBytes(sealed, context)).toString("utf8");
  }
}

export const MASTER_KEY_ENV = "BOURSE_MASTER_KEY";
export const MASTER_KEY_FILE = "master.key";

export interface MasterKeyOptions {
  /** The environment to read BOURSE_MASTER_KEY from (process.env). */
  env: Record<string, string | undefined>;
  /** A configured key file (base64 or 64 hex characters), read when the environment has no key. */
  file?: string;
  /** Where a key is generated when neither is given: `<dataDir>/master.key`. */
  dataDir: string;
  /** Told, at warn, when the key is kept in the data directory. */
  log?: Logger;
}

export interface MasterKey {
  key: Uint8Array;
  source: "env" | "file" | "data-dir";
  /** Made just now, into `<dataDir>/master.key`: nothing sealed before can exist. */
  generated: boolean;
}

/**
 * The master key: BOURSE_MASTER_KEY if set (the environment overrides the configuration, as for
 * a container's secrets), else the configured file, else `<dataDir>/master.key`, made on first
 * start (mode 0600). A key in the data directory is convenient and weak: every copy of the data
 * directory carries the key beside what it protects, so it is warned about when made and noted at every later start; in
 * production keep the key elsewhere. Losing the key loses every sealed secret (users re-enrol
 * TOTP, API keys are reissued). Errors name where the key came from, never its value.
 */
export function loadMasterKey(o: MasterKeyOptions): MasterKey {
  const fromEnv = o.env[MASTER_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== "") return { key: parseKey(fromEnv, `the environment variable ${MASTER_KEY_ENV}`), source: "env", generated: false };
  if (o.file !== undefined) return { key: parseKey(readKeyFile(o.file), `the master key file ${o.file}`), source: "file", generated: false };
  const file = join(o.dataDir, MASTER_KEY_FILE);
  let generated = false;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if (systemCode(e) !== "ENOENT") throw new OperatorError(`cannot read the master key file ${file} (${systemCode(e) || (e as Error).message})`, { cause: e });
    text = generate(file);
    generated = true;
  }
  // Said loudly when made (the operator should move it), quietly at later starts (a --log-level warn run stays clean).
  o.log?.[generated ? "warn" : "info"]("master key kept in the data directory", { file, generated, hint: `in production set ${MASTER_KEY_ENV} or a key file outside the data directory` });
  return { key: parseKey(text, `the master key file ${file}`), source: "data-dir", generated };
}

function readKeyFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new OperatorError(`cannot read the master key file ${file} (${systemCode(e) || (e as Error).message})`, { cause: e });
  }
}

function generate(file: string): string {
  const text = `${randomBytes(MASTER_KEY_BYTES).toString("base64")}\n`;
  try {
    mkdirSync(join(file, ".."), { recursive: true });
    // "wx": never over a key another process made meanwhile (that one would have sealed with it).
    // The umask can only take bits away from 0600.
    writeFileSync(file, text, { mode: 0o600, flag: "wx" });
  } catch (e) {
    if (systemCode(e) === "EEXIST") return readFileSync(file, "utf8");
    throw new OperatorError(`cannot write a new master key to ${file} (${systemCode(e) || (e as Error).message})`, { cause: e });
  }
  return text;
}

/** 32 bytes from 64 hex characters or base64 (standard or url, padded or not). */
function parseKey(text: string, source: string): Uint8Array {
  const t = text.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, "hex");
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) key = Buffer.from(t.replace(/=$/, "").replace(/\+/g, "-").replace(/\//g, "_"), "base64url");
  if (key === null || key.length !== MASTER_KEY_BYTES) throw new OperatorError(`${source} is not a master key: it must be ${MASTER_KEY_BYTES} bytes as 64 hex characters or base64`);
  return new Uint8Array(key);
}
