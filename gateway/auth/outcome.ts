import { reasonName, reasonText } from "../../engine/reasons.ts";
import { UNAVAILABLE } from "../order-entry/order-entry-types.ts";

/**
 * What an identity or account action answers, in words every door can put in its own form: a
 * stable `code` (UPPER_SNAKE, the engine's reason names for what the engine refused), a message
 * for people, and the kind of failure, which the REST door turns into its status (docs/rest.md).
 */
export type Failure = {
  ok: false;
  kind: "bad-input" | "auth" | "forbidden" | "not-found" | "conflict" | "rate-limited" | "unavailable";
  code: string;
  message: string;
  retryAfterMs?: number;
};
export type Outcome<T> = { ok: true; value: T } | Failure;

export const fail = (kind: Failure["kind"], code: string, message: string, retryAfterMs?: number): Failure => ({ ok: false, kind, code, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
export const done = <T>(value: T): Outcome<T> => ({ ok: true, value });

/** The engine's refusal as a Failure: its reason's name and text. */
export function refusedBy(reason: number): Failure {
  if (reason === UNAVAILABLE) return fail("unavailable", "ENGINE_STOPPED", "the engine is not running");
  const name = reasonName(reason);
  const kind: Failure["kind"] = /^UNKNOWN_(USER|KEY|ACCOUNT)$/.test(name) ? "not-found" : /EXISTS$/.test(name) ? "conflict" : "bad-input";
  return fail(kind, name, reasonText(reason));
}
