/**
 * Secrets never reach a log line: a field whose name says it holds one is replaced, at any depth
 * of plain objects, whatever the caller passed. Names, not values, are matched — a log line cannot
 * tell a secret from any other string, but every secret in Bourse travels in a field named for it
 * (an API key's `secret`, FIX Password (554) as `password`, a login's HMAC `signature`).
 */

/** Lower-cased field names whose values are secrets. */
const SECRET_NAMES = new Set(["secret", "apisecret", "password", "passwd", "passphrase", "token", "accesstoken", "refreshtoken", "authorization", "signature", "privatekey", "554"]);

export const REDACTED = "[redacted]";

/** Deeper than this, a value is summarised rather than walked: a log line is not a dump. */
const MAX_DEPTH = 4;

export function isSecretName(name: string): boolean {
  return SECRET_NAMES.has(name.toLowerCase().replace(/[-_]/g, ""));
}

/**
 * A copy of `value` fit for a log line: secrets redacted, Errors as { type, message, stack },
 * bigints as strings, typed arrays as their length. Never mutates what the caller passed.
 */
export function clean(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== "object") {
    if (typeof value === "bigint") return value.toString();
    if (typeof value === "function" || typeof value === "symbol") return String(value);
    return value;
  }
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: value.message };
    if (value.stack) out.stack = value.stack;
    if (value.cause !== undefined && depth < MAX_DEPTH) out.cause = clean(value.cause, depth + 1);
    return out;
  }
  if (ArrayBuffer.isView(value)) return `<${value.byteLength} bytes>`;
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? `[${value.length} items]` : "{…}";
  if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretName(k) ? REDACTED : clean(v, depth + 1);
  return out;
}
