import type { SeenSignatures } from "../auth/authenticate.ts";
import { REST_HEADERS } from "../../protocol/rest-signature.ts";

/**
 * The server's side of signed REST requests (docs/rest.md, Signing): reading the three headers
 * and remembering the signatures accepted lately, so a captured request cannot be sent again. The
 * bytes signed and their check are protocol/rest-signature.ts, shared with the SDK.
 */

/** The receive window's default: a signed request's timestamp may be this far from the server's clock, either way. */
export const SIGNATURE_WINDOW_MS = 5_000;

/** Signatures remembered at most by default: 20,000 signed requests a second, sustained over a 5 s window. */
export const MAX_REMEMBERED_SIGNATURES = 100_000;

export interface SignatureHeaders {
  keyId: string;
  /** Decimal digits, as sent: what was signed. */
  timestamp: string;
  signature: string;
}

/** The headers, or which one is missing or malformed (a key id is 1-64 printable ASCII, as gateway/auth/keys.ts allows). */
export function readSignatureHeaders(headers: Headers): SignatureHeaders | { missing: string } {
  const keyId = headers.get(REST_HEADERS.key);
  const timestamp = headers.get(REST_HEADERS.timestamp);
  const signature = headers.get(REST_HEADERS.signature);
  if (keyId === null || !/^[\x21-\x7e]{1,64}$/.test(keyId)) return { missing: REST_HEADERS.key };
  if (timestamp === null || !/^\d{1,15}$/.test(timestamp)) return { missing: REST_HEADERS.timestamp };
  if (signature === null || signature === "") return { missing: REST_HEADERS.signature };
  return { keyId, timestamp, signature: signature.toLowerCase() };
}

/**
 * Signatures accepted within the window, each kept until its timestamp leaves the window (after
 * that the timestamp check refuses it anyway). A Map in insertion order, pruned from the front:
 * expiries arrive roughly in order (they are timestamps plus a constant), and one that is out of
 * order only stays a little longer. Bounded: when `max` signatures are all still live, new ones
 * are refused (the door answers 503 BUSY) rather than an old one forgotten, since forgetting one
 * would let it be replayed; only requests that passed the signature check are remembered, so
 * only key holders can fill it.
 */
export class RecentSignatures implements SeenSignatures {
  private readonly seen = new Map<string, number>();

  constructor(private readonly max = MAX_REMEMBERED_SIGNATURES) {}

  get size(): number {
    return this.seen.size;
  }

  /** Whether no more signatures can be remembered now (every one kept is still inside its window). */
  full(nowMs: number): boolean {
    this.prune(nowMs);
    return this.seen.size >= this.max;
  }

  /** False when `signature` was remembered already (a replay), or the memory is full (full() says which). */
  remember(signature: string, forgetAfterMs: number, nowMs: number): boolean {
    this.prune(nowMs);
    if (this.seen.has(signature) || this.seen.size >= this.max) return false;
    this.seen.set(signature, forgetAfterMs);
    return true;
  }

  private prune(nowMs: number): void {
    for (const [sig, until] of this.seen) {
      if (until >= nowMs) return;
      this.seen.delete(sig);
    }
  }
}
