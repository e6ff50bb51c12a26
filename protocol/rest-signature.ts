import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * What a signed REST request carries (docs/rest.md, Signing): HMAC-SHA256, keyed with the API
 * key's secret (its UTF-8 bytes), over
 *
 *   timestamp ‖ METHOD ‖ pathWithQuery ‖ body
 *
 * timestamp: the BOURSE-TIMESTAMP header's digits (ms since the epoch); METHOD: upper case;
 * pathWithQuery: the request target as the server's URL parser reads it (`/api/v1/me?x=1`);
 * body: its bytes as sent (nothing for none). The signature goes in BOURSE-SIGNATURE as 64
 * lower-case hex digits: one spelling (base64 has padded, unpadded and URL-safe ones), and it is
 * what the server remembers to refuse a replay. Here so the SDK, the CLI and the gateway cannot
 * disagree on the bytes.
 */
export const REST_HEADERS = {
  key: "BOURSE-KEY",
  timestamp: "BOURSE-TIMESTAMP",
  signature: "BOURSE-SIGNATURE",
} as const;

export interface RestRequestToSign {
  method: string;
  /** The path with its query, e.g. "/api/v1/me"; a full URL's origin is ignored. */
  path: string;
  /** The body exactly as sent; absent or "" for none. */
  body?: string | Uint8Array;
  /** ms since the epoch; default Date.now(). */
  timestamp?: number;
}

export interface SignRequestInput extends RestRequestToSign {
  keyId: string;
  secret: string | Uint8Array;
}

const HEX_SIGNATURE = /^[0-9a-f]{64}$/;

/**
 * The path and query as the server will read them: the WHATWG URL parser resolves dot segments
 * and percent-encodes what must be, and fetch() sends what it gives, so signing the same
 * normalized text keeps client and server on the same bytes.
 */
export function signedTarget(path: string): string {
  const u = new URL(path, "http://bourse.invalid");
  return u.pathname + u.search;
}

/** The bytes the signature covers (see the module comment). `pathWithQuery` is used as given: normalize it with signedTarget first. */
export function restSigningBytes(timestamp: string, method: string, pathWithQuery: string, body: string | Uint8Array = ""): Uint8Array {
  const head = new TextEncoder().encode(timestamp + method.toUpperCase() + pathWithQuery);
  const tail = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}

/** HMAC-SHA256 of the signing bytes, as 64 lower-case hex digits. */
export function restSignature(secret: string | Uint8Array, timestamp: string, method: string, pathWithQuery: string, body?: string | Uint8Array): string {
  return createHmac("sha256", secret).update(restSigningBytes(timestamp, method, pathWithQuery, body)).digest("hex");
}

/**
 * The three headers that sign one request: what an SDK or the CLI adds to its fetch(). The
 * timestamp must be within the server's window (5 s by default) of its clock when the request
 * arrives, and the same signature is accepted once: two identical requests in the same
 * millisecond need a different query or body (or a millisecond apart).
 */
export function signRequest(r: SignRequestInput): Record<(typeof REST_HEADERS)[keyof typeof REST_HEADERS], string> {
  const timestamp = String(Math.floor(r.timestamp ?? Date.now()));
  return {
    [REST_HEADERS.key]: r.keyId,
    [REST_HEADERS.timestamp]: timestamp,
    [REST_HEADERS.signature]: restSignature(r.secret, timestamp, r.method, signedTarget(r.path), r.body),
  };
}

/**
 * Whether `signature` is the right one for the request under `secret`; constant time in the MAC.
 * A signature not spelled as 64 lower-case hex digits is compared against nothing (its form is
 * public, so refusing it early tells a prober nothing about the key).
 */
export function verifyRestSignature(secret: string | Uint8Array, timestamp: string, method: string, pathWithQuery: string, body: string | Uint8Array, signature: string): boolean {
  const expected = Buffer.from(restSignature(secret, timestamp, method, pathWithQuery, body), "hex");
  const given = HEX_SIGNATURE.test(signature) ? Buffer.from(signature, "hex") : Buffer.alloc(expected.length);
  return timingSafeEqual(expected, given) && HEX_SIGNATURE.test(signature);
}
