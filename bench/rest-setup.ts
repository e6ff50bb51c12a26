/**
 * What bench/rest.ts does on the exchange before it measures, as a client would over REST: signs a
 * demo user in (password, then TOTP enrolment: the user has none on a fresh data directory) for a
 * bearer token, and rests a few orders so the book and the open orders are not empty.
 */
import { Secret, TOTP } from "otpauth";
import { REST_BASE } from "../gateway/rest/route-module.ts";
import { signRequest } from "../protocol/rest-signature.ts";

async function post<T>(url: string, path: string, body: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/**
 * A session token for `user`: the password, an enrolment ticket (no TOTP yet), the TOTP secret,
 * then the confirmation with the current code, which opens the session.
 */
export async function signIn(url: string, user: string, password: string): Promise<string> {
  const login = await post<{ enrolment?: { ticket: string } }>(url, `${REST_BASE}/auth/login`, JSON.stringify({ user, password }));
  const ticket = login.enrolment?.ticket;
  if (!ticket) throw new Error(`${user}: expected an enrolment ticket on a fresh data directory, got ${JSON.stringify(login)}`);
  const { secret } = await post<{ secret: string }>(url, `${REST_BASE}/auth/mfa/enrol`, JSON.stringify({ ticket }));
  const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate();
  const done = await post<{ token: string }>(url, `${REST_BASE}/auth/mfa/confirm`, JSON.stringify({ ticket, totp }));
  return done.token;
}

/**
 * `perSide` resting 1-lot limit orders a side for the key's account, 260, 270, … ticks from `ref`:
 * bids below, asks above, so they cross neither each other nor the measured streams, which keep
 * within 1–201 ticks of `ref` on their own side. Returns their order ids.
 */
export async function restOrders(url: string, key: { id: string; secret: string }, o: { symbol: string; ref: number; tick: number; lot: string; perSide: number }): Promise<number[]> {
  const ids: number[] = [];
  const decimals = (String(o.tick).split(".")[1] ?? "").length;
  for (let i = 1; i <= o.perSide; i++) {
    for (const side of ["buy", "sell"] as const) {
      const ticks = side === "buy" ? o.ref - 250 - 10 * i : o.ref + 250 + 10 * i;
      const body = JSON.stringify({ symbol: o.symbol, side, type: "limit", price: (ticks * o.tick).toFixed(decimals), qty: o.lot, clientOrderId: `rest-${side}-${i}` });
      const path = `${REST_BASE}/orders`;
      const order = await post<{ orderId: number; state: string }>(url, path, body, signRequest({ keyId: key.id, secret: key.secret, method: "POST", path, body }) as unknown as Record<string, string>);
      if (order.state !== "new") throw new Error(`resting order ${i} ${side}: state ${order.state}`);
      ids.push(order.orderId);
    }
  }
  return ids;
}

/** The body of a GET as the exchange answers it (the raw baseline answers the same JSON). */
export async function bodyOf(url: string, path: string, bearer?: string): Promise<string> {
  const res = await fetch(`${url}${path}`, bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {});
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${text}`);
  return text;
}
