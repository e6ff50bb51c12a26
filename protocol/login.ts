import { createHmac, timingSafeEqual } from "node:crypto";
import type { Login } from "./client-messages.ts";
import { API_KEY_ID_MAX, checkAscii, checkBytes, checkNat, checkU8, NONCE_BYTES, SIGNATURE_BYTES } from "./frame.ts";

/**
 * What LOGIN signs (docs/protocol.md, Login): HMAC-SHA256, keyed with the API key's secret, over
 *
 *   nonce (32 bytes, from HELLO) ‖ timestamp (f64 LE, µs) ‖ flags (u8) ‖ apiKeyId (ASCII)
 *
 * The nonce ties a signature to one connection (a captured LOGIN cannot be replayed on another),
 * the timestamp bounds how long it is worth anything, and signing the flags and key id keeps them
 * from being swapped. Here so the SDK and the gateway cannot disagree on the bytes.
 */
export function loginSigningBytes(nonce: Uint8Array, timestamp: number, flags: number, apiKeyId: string): Uint8Array {
  checkBytes("nonce", nonce, NONCE_BYTES);
  checkNat("timestamp", timestamp);
  checkU8("flags", flags, 0xff);
  checkAscii("apiKeyId", apiKeyId, 1, API_KEY_ID_MAX);
  const out = new Uint8Array(NONCE_BYTES + 9 + apiKeyId.length);
  out.set(nonce, 0);
  const v = new DataView(out.buffer);
  v.setFloat64(NONCE_BYTES, timestamp, true);
  v.setUint8(NONCE_BYTES + 8, flags | 0);
  for (let i = 0; i < apiKeyId.length; i++) out[NONCE_BYTES + 9 + i] = apiKeyId.charCodeAt(i);
  return out;
}

export function signLogin(secret: string | Uint8Array, nonce: Uint8Array, timestamp: number, flags: number, apiKeyId: string): Uint8Array {
  const mac = createHmac("sha256", secret).update(loginSigningBytes(nonce, timestamp, flags, apiKeyId)).digest();
  return new Uint8Array(mac.buffer, mac.byteOffset, SIGNATURE_BYTES);
}

/** Whether `login` carries a valid signature of `nonce` under `secret`; constant time in the MAC. */
export function verifyLogin(secret: string | Uint8Array, nonce: Uint8Array, login: Login): boolean {
  const expected = signLogin(secret, nonce, login.timestamp, login.flags, login.apiKeyId);
  return login.signature.length === SIGNATURE_BYTES && timingSafeEqual(expected, login.signature);
}
