import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "../../log/logger.ts";

/**
 * Every answer of the REST door that is not a success has one shape (docs/rest.md, Errors):
 *
 *   { "code": "SOME_CODE", "message": "for a person", "details"?: … }
 *
 * with the status saying the kind. A handler or middleware throws a RestError; the app's error
 * handler (restErrorHandler) turns it, Hono's own exceptions and anything unexpected into this
 * shape, so a client has one thing to parse and never a stack or Hono's plain-text defaults.
 */
export const ErrorCode = {
  /** 400: a parameter, query field or body field failed its schema; details name each. */
  INVALID_INPUT: "INVALID_INPUT",
  /** 400: the body is not JSON. */
  BAD_JSON: "BAD_JSON",
  /** 401: a signature header missing or malformed; details.header names it. */
  MISSING_CREDENTIALS: "MISSING_CREDENTIALS",
  /** 401: an unknown key or a wrong signature (one answer, so a client cannot probe which key ids exist). */
  AUTH_FAILED: "AUTH_FAILED",
  /** 401: BOURSE-TIMESTAMP outside the receive window; details.serverTime is the server's clock (ms). */
  STALE_TIMESTAMP: "STALE_TIMESTAMP",
  /** 401: this signature was accepted already. */
  REPLAYED: "REPLAYED",
  /** 403: the key lacks the scope, or the address is not on its allowlist. */
  NOT_PERMITTED: "NOT_PERMITTED",
  /** 404: no such route. */
  NOT_FOUND: "NOT_FOUND",
  /** 404: no instrument with this symbol. */
  UNKNOWN_SYMBOL: "UNKNOWN_SYMBOL",
  /** 405: the route exists for other methods (the Allow header lists them). */
  METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
  /** 409: the request conflicts with the current state. */
  CONFLICT: "CONFLICT",
  /** 413: the body is larger than the door takes. */
  BODY_TOO_LARGE: "BODY_TOO_LARGE",
  /** 415: a body in a media type the route does not take. */
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  /** 429: too many failed logins for this key or address, or too many requests; Retry-After says when to try again. */
  RATE_LIMITED: "RATE_LIMITED",
  /** 500: a fault in the server (logged there; the answer says nothing more). */
  INTERNAL: "INTERNAL",
  /** 503: the engine has stopped: nothing that needs it can be served. */
  ENGINE_STOPPED: "ENGINE_STOPPED",
  /** 503: the exchange is stopping for maintenance: the request was not taken (Retry-After). */
  SHUTTING_DOWN: "SHUTTING_DOWN",
  /** 503: the answer comes from the history store, and this exchange has none running. */
  HISTORY_UNAVAILABLE: "HISTORY_UNAVAILABLE",
  /** 503: the server cannot take this now (Retry-After says when to try again). */
  BUSY: "BUSY",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ErrorSchema = z
  .object({
    code: z.string().openapi({ example: ErrorCode.INVALID_INPUT }),
    message: z.string().openapi({ example: "query.limit: Too big: expected number to be <=1000" }),
    details: z.unknown().optional(),
  })
  .openapi("Error");
export type ErrorBody = z.infer<typeof ErrorSchema>;

/** One field that failed validation, in INVALID_INPUT's details. */
export interface FieldIssue {
  /** Where it was: "query", "param", "json", "header". */
  in: string;
  /** Its path within that, dotted ("side", "legs.0.qty"); "" for the whole. */
  field: string;
  message: string;
}

/** A refusal to answer with: thrown by handlers and middleware, rendered by restErrorHandler. */
export class RestError extends Error {
  override name = "RestError";
  constructor(
    readonly status: number,
    readonly code: ErrorCode | (string & {}),
    message: string,
    readonly details?: unknown,
    /** E.g. Retry-After, Allow. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  response(): Response {
    return errorResponse(this.status, this.code, this.message, this.details, this.headers);
  }
}

/** The error shape as a Response (for code that answers rather than throws). */
export function errorResponse(status: number, code: ErrorCode | (string & {}), message: string, details?: unknown, headers?: Record<string, string>): Response {
  const body: ErrorBody = details === undefined ? { code, message } : { code, message, details };
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** A Retry-After header for a wait in ms: whole seconds, at least 1 (RFC 9110 §10.2.3). */
export function retryAfter(ms: number): Record<string, string> {
  return { "retry-after": String(Math.max(1, Math.ceil(ms / 1000))) };
}

/**
 * The OpenAPIHono defaultHook: a request that fails its route's zod schemas gets 400
 * INVALID_INPUT naming every field that failed, instead of zod's own error object.
 */
export function validationHook(result: { success: true } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }; target: string }): Response | undefined {
  if (result.success) return undefined;
  const issues: FieldIssue[] = result.error.issues.map((i) => ({ in: result.target, field: i.path.map(String).join("."), message: i.message }));
  const first = issues[0];
  const message = first ? `${first.in}${first.field ? `.${first.field}` : ""}: ${first.message}` : "invalid request";
  return errorResponse(400, ErrorCode.INVALID_INPUT, message, issues);
}

/**
 * The app's onError: a RestError as it says; Hono's exceptions (a body that is not JSON, a media
 * type the route does not take, a body too large) in the error shape; anything else is a fault in
 * the server, logged with the method and path (no query, headers or body: they can carry
 * secrets) and answered INTERNAL with nothing of the error in it.
 */
export function restErrorHandler(log: Logger): (err: Error, c: Context) => Response {
  return (err, c) => {
    if (err instanceof RestError) return err.response();
    if (err instanceof HTTPException) {
      const s = err.status;
      if (s === 400 && /JSON/i.test(err.message)) return errorResponse(400, ErrorCode.BAD_JSON, "the body is not valid JSON");
      if (s === 400) return errorResponse(400, ErrorCode.INVALID_INPUT, "the request could not be read");
      if (s === 413) return errorResponse(413, ErrorCode.BODY_TOO_LARGE, "the body is too large");
      if (s === 415) return errorResponse(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json");
    }
    log.error("rest handler threw", { method: c.req.method, path: new URL(c.req.url).pathname, err });
    return errorResponse(500, ErrorCode.INTERNAL, "internal error");
  };
}

/**
 * The app's notFound: 405 with Allow when the path exists for other methods (`allowed` gives
 * them), else 404; both in the error shape, not Hono's "404 Not Found" text.
 */
export function restNotFound(allowed: (path: string) => string[]): (c: Context) => Response {
  return (c) => {
    const path = new URL(c.req.url).pathname;
    const methods = allowed(path);
    // Hono answers HEAD through GET; a method the path has that did not match (its parameters did not) is a 404.
    const asked = c.req.method === "HEAD" ? "GET" : c.req.method;
    if (methods.length > 0 && !methods.includes(asked)) return errorResponse(405, ErrorCode.METHOD_NOT_ALLOWED, `${c.req.method} is not allowed here; use ${methods.join(", ")}`, undefined, { allow: methods.join(", ") });
    return errorResponse(404, ErrorCode.NOT_FOUND, "no such route; GET /api/v1/openapi.json lists them");
  };
}

/** OpenAPI response entries in the error shape, for a route's `responses`. */
export function errorResponses(...statuses: number[]): Record<number, { description: string; content: { "application/json": { schema: typeof ErrorSchema } } }> {
  const out: Record<number, { description: string; content: { "application/json": { schema: typeof ErrorSchema } } }> = {};
  for (const s of statuses) out[s] = { description: STATUS_TEXT[s] ?? "error", content: { "application/json": { schema: ErrorSchema } } };
  return out;
}

const STATUS_TEXT: Record<number, string> = {
  400: "Invalid input (INVALID_INPUT, BAD_JSON); details name the fields",
  401: "No or bad credentials (MISSING_CREDENTIALS, AUTH_FAILED, STALE_TIMESTAMP, REPLAYED)",
  403: "The key may not do this (NOT_PERMITTED)",
  404: "Not found (NOT_FOUND, UNKNOWN_SYMBOL)",
  409: "Conflicts with the current state (CONFLICT)",
  413: "Body too large (BODY_TOO_LARGE)",
  415: "Unsupported media type (UNSUPPORTED_MEDIA_TYPE)",
  429: "Too many failed logins or requests (RATE_LIMITED); see Retry-After",
  500: "A fault in the server (INTERNAL)",
  503: "The engine has stopped (ENGINE_STOPPED), the exchange is shutting down (SHUTTING_DOWN), the server is busy (BUSY), or the history store the answer needs is not running (HISTORY_UNAVAILABLE)",
};
