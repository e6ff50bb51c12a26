/**
 * For the REST door's tests: signed requests to a started server (or a built app), and the check
 * that an answer is in the door's error shape.
 */
import { expect } from "bun:test";
import { signRequest } from "../../../protocol/rest-signature.ts";

export interface SignedInit {
  keyId: string;
  secret: string;
  method?: string;
  /** Path with query, e.g. "/api/v1/me". */
  path: string;
  body?: string;
  /** Default Date.now(). */
  timestamp?: number;
  /** Added after the signature headers (to override one). */
  headers?: Record<string, string>;
}

/** The Request a client would send, signed. */
export function signedRequest(base: string, s: SignedInit): Request {
  const method = s.method ?? "GET";
  const sig = signRequest({ keyId: s.keyId, secret: s.secret, method, path: s.path, ...(s.body !== undefined ? { body: s.body } : {}), ...(s.timestamp !== undefined ? { timestamp: s.timestamp } : {}) });
  const headers: Record<string, string> = { ...sig, ...(s.body !== undefined ? { "content-type": "application/json" } : {}), ...s.headers };
  return new Request(base + s.path, { method, headers, ...(s.body !== undefined ? { body: s.body } : {}) });
}

/** Asserts `res` is a non-2xx in the error shape (JSON { code, message, details? }) and returns its body. */
export async function expectErrorShape(res: Response, status?: number): Promise<{ code: string; message: string; details?: unknown }> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  const where = `${res.status} ${text.slice(0, 200)}`;
  expect({ where, ok: res.status >= 400 && res.status < 600 }).toEqual({ where, ok: true });
  if (status !== undefined) expect({ where, status: res.status }).toEqual({ where, status });
  expect({ where, type: res.headers.get("content-type")?.startsWith("application/json") }).toEqual({ where, type: true });
  const b = body as Record<string, unknown>;
  expect({ where, code: typeof b?.code, message: typeof b?.message }).toEqual({ where, code: "string", message: "string" });
  expect({ where, code: /^[A-Z][A-Z_]*$/.test(String(b.code)) }).toEqual({ where, code: true });
  expect({ where, extra: Object.keys(b).filter((k) => !["code", "message", "details"].includes(k)) }).toEqual({ where, extra: [] });
  return b as { code: string; message: string; details?: unknown };
}
