/**
 * `bourse user|account|key …`: the operator's actions on a running exchange, through its HTTP API
 * (/api/v1, docs/rest.md), never by touching the data directory the exchange holds. The CLI proves
 * it is the operator at the host with the token the exchange wrote into its data directory
 * (gateway/auth/operator-token.ts): shell access as the exchange's user is the credential.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OperatorError } from "../actors/operator-error.ts";
import { readOperatorToken } from "../gateway/auth/operator-token.ts";
import type { BourseConfig } from "../app/config.ts";
import type { Values } from "./options.ts";

interface Call {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  body?: unknown;
  /** What to print of the answer. */
  show: (answer: any) => string;
}

/** The HTTP call each command makes. */
function callFor(command: string, f: Record<string, string>): Call {
  const list = (text: string | undefined) => (text === undefined ? undefined : text.split(",").map((s) => s.trim()).filter((s) => s !== ""));
  switch (command) {
    case "user add":
      return {
        method: "POST",
        path: "/api/v1/users",
        body: { name: f.name, role: f.role, accounts: list(f.accounts)?.map(Number) ?? [] },
        show: (a) => `user ${a.user.name} (${a.user.role}, accounts ${a.user.accounts.join(",") || "none"}) created\ninitial password: ${a.initialPassword}\n(shown once: give it to the user, who signs in and enrols TOTP)`,
      };
    case "user list":
      return { method: "GET", path: "/api/v1/users", show: (a) => table(["id", "name", "role", "accounts", "mfa", "locked"], a.users.map((u: any) => [u.id, u.name, u.role, u.accounts.join(",") || "-", u.mfa ? "yes" : "no", u.locked ? "LOCKED" : "no"])) };
    case "user lock":
    case "user unlock":
      return { method: "POST", path: `/api/v1/users/${encodeURIComponent(f.name!)}/lock`, body: { locked: command === "user lock" }, show: (a) => `user ${a.name} ${a.locked ? "locked (its sessions have ended)" : "unlocked"}` };
    case "user reset-mfa":
      return { method: "POST", path: `/api/v1/users/${encodeURIComponent(f.name!)}/reset-mfa`, show: (a) => `user ${a.name}: TOTP and recovery codes removed; the next sign-in enrols again` };
    case "account open":
      return { method: "POST", path: "/api/v1/accounts", body: { account: Number(f.account), tier: Number(f.tier) }, show: (a) => `account ${a.account} opened (tier ${a.tier})` };
    case "account deposit":
      return { method: "POST", path: `/api/v1/accounts/${f.account}/deposits`, body: { currency: f.currency, amount: f.amount }, show: (a) => `deposit of ${a.amount} ${a.currency} credited to account ${a.account} (seq ${a.seq})` };
    case "account tier":
      return { method: "PUT", path: `/api/v1/accounts/${f.account}/tier`, body: { tier: Number(f.tier) }, show: (a) => `account ${a.account} is on tier ${a.tier}` };
    case "key create":
      return {
        method: "POST",
        path: "/api/v1/keys",
        body: { account: Number(f.account), ...(f.scopes ? { scopes: list(f.scopes) } : {}), ...(f["allow-ips"] ? { allowIps: list(f["allow-ips"]) } : {}), ...(f.label ? { label: f.label } : {}) },
        show: (a) => `key ${a.key.id} for account ${a.key.account} (${a.key.scopes.join(",")}) created\nsecret: ${a.secret}\n(shown once: it is kept only sealed)`,
      };
    case "key list":
      return {
        method: "GET",
        path: `/api/v1/keys${f.account ? `?account=${f.account}` : ""}`,
        show: (a) => table(["id", "account", "scopes", "allow", "label", "state"], a.keys.map((k: any) => [k.id, k.account, k.scopes.join(","), k.allowIps.join(",") || "any", k.label || "-", k.revokedAt ? "revoked" : "live"])),
      };
    case "key revoke":
      return { method: "DELETE", path: `/api/v1/keys/${encodeURIComponent(f.key!)}`, show: (a) => `key ${a.id} revoked; its live sessions were closed` };
  }
  throw new OperatorError(`unknown operator command ${command}`);
}

/** Runs one operator command against the exchange that holds `v.data`; prints the answer; returns the exit code. */
export async function operatorCommand(command: string, v: Values, config: BourseConfig, print: (line: string) => void = console.log): Promise<number> {
  const call = callFor(command, v.remote);
  const { base, ca } = where(v, config);
  const token = readOperatorToken(v.data);
  let res: Response;
  try {
    res = await fetch(base + call.path, {
      method: call.method,
      headers: { authorization: `Bearer ${token}`, ...(call.body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
      ...(ca ? { tls: { ca } } : {}),
    });
  } catch (e) {
    throw new OperatorError(`cannot reach the exchange at ${base} (${(e as Error).message}); is it running? (--url URL names another address)`, { cause: e });
  }
  const text = await res.text();
  let answer: any;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new OperatorError(`${base}${call.path} answered ${res.status} with something that is not JSON`);
  }
  if (!res.ok) throw new OperatorError(`${answer.code ?? res.status}: ${answer.message ?? text}`);
  print(call.show(answer));
  return 0;
}

/** The exchange's HTTP address (from --url, else the config's gateway) and, for a self-signed certificate, the CA to trust. */
function where(v: Values, config: BourseConfig): { base: string; ca?: string } {
  const tls = config.tls?.enabled === true || config.tls?.cert !== undefined;
  const certFile = config.tls?.cert ?? join(v.data, "tls", "cert.pem");
  const ca = tls ? readFileSync(certFile, "utf8") : undefined;
  if (v.url) return { base: v.url.replace(/\/$/, ""), ...(ca ? { ca } : {}) };
  const host = config.gateway?.host ?? "127.0.0.1";
  const port = config.gateway?.port ?? 7070;
  return { base: `${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`, ...(ca ? { ca } : {}) };
}

function table(head: string[], rows: unknown[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}
