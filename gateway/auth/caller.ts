import { Actor } from "../../engine/commands.ts";
import { Role, type User } from "../../engine/identity.ts";
import type { Scope } from "./keys.ts";
import type { SessionInfo } from "./session-store.ts";

/**
 * Who is asking, as a door established it: a signed-in user (a session after password and TOTP),
 * an API key (one account, its scopes), or the operator at the host (the local operator token,
 * gateway/auth/operator-token.ts). Every action decides from this alone what the caller may see and touch.
 */
export type Caller =
  | { kind: "user"; user: User; session: SessionInfo }
  | { kind: "key"; keyId: string; account: number; scopes: readonly Scope[] }
  | { kind: "host" };

/** The audit fields a command carries for this caller: who did it. */
export function auditOf(c: Caller): { actor: number; session: number } {
  if (c.kind === "user") return { actor: Actor.USER, session: c.user.id };
  if (c.kind === "host") return { actor: Actor.HOST, session: 0 };
  return { actor: Actor.ACCOUNT, session: 0 };
}

export const isOperator = (c: Caller): boolean => c.kind === "host" || (c.kind === "user" && c.user.role === Role.OPERATOR);

/** May read everything: an operator or an auditor. */
export const readsAll = (c: Caller): boolean => isOperator(c) || (c.kind === "user" && c.user.role === Role.AUDITOR);

/** May this caller read `account`'s state? */
export function mayRead(c: Caller, account: number): boolean {
  if (readsAll(c)) return true;
  if (c.kind === "user") return c.user.accounts.has(account);
  return c.kind === "key" && c.account === account && c.scopes.includes("read");
}

/** May this caller act for `account` with `scope` (trade, withdraw)? An auditor never; an operator is not a trader. */
export function mayAct(c: Caller, account: number, scope: Scope): boolean {
  if (c.kind === "user") return c.user.role === Role.TRADER && c.user.accounts.has(account);
  return c.kind === "key" && c.account === account && c.scopes.includes(scope);
}

/** A short name for logs and the audit trail. */
export function callerName(c: Caller): string {
  return c.kind === "user" ? `user:${c.user.name}` : c.kind === "key" ? `key:${c.keyId}` : "host";
}
