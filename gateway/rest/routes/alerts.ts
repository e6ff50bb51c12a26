import { createRoute, z } from "@hono/zod-openapi";
import { type Caller, callerName, isOperator, readsAll } from "../../auth/caller.ts";
import { type AlertView, parseAlertId, Rule, RULE_NAMES, type RuleName, ruleName, SEVERITY_NAMES } from "../../../history/monitoring/alerts.ts";
import type { HistoryStore } from "../../../history/store.ts";
import type { IdentityParts } from "../../auth/identity-parts.ts";
import { callerAuth } from "../caller-auth.ts";
import { ErrorCode, errorResponses, RestError } from "../errors.ts";
import type { RestApp, RouteDeps, RouteModule } from "../route-module.ts";
import { BEARER, isoUs, json, TimeBound } from "./route-parts.ts";

/**
 * Transaction monitoring's alerts over REST (docs/monitoring.md): operators and auditors list them,
 * newest first in keyset pages; operators acknowledge one, with a note. A second acknowledgement is
 * a 409 CONFLICT naming who acknowledged it first, and changes nothing. Traders and API keys are
 * refused (403 NOT_PERMITTED): an alert is about an account, not for it.
 */


const AlertJson = z
  .object({
    id: z.string().openapi({ example: "1234.1.7", description: "seq.rule.account: the command that raised it, the rule and the account" }),
    rule: z.enum(RULE_NAMES as [RuleName, ...RuleName[]]),
    account: z.number().int(),
    seq: z.number().int().openapi({ description: "the journal seq of the command that raised it" }),
    time: z.string().nullable().openapi({ description: "engine time of that command, ISO 8601" }),
    severity: z.enum(["low", "medium", "high"]),
    text: z.string(),
    details: z.record(z.string(), z.unknown()),
    state: z.enum(["open", "acknowledged"]),
    acknowledgedBy: z.string().nullable(),
    acknowledgedAt: z.string().nullable(),
    note: z.string().nullable(),
  })
  .openapi("Alert");

export const alertJson = (a: AlertView) => ({
  id: a.id,
  rule: ruleName(a.rule),
  account: a.account,
  seq: a.seq,
  time: isoUs(a.time),
  severity: (SEVERITY_NAMES[a.severity] || "medium") as "low" | "medium" | "high",
  text: a.text,
  details: JSON.parse(a.detail) as Record<string, unknown>,
  state: (a.ackedBy === null ? "open" : "acknowledged") as "open" | "acknowledged",
  acknowledgedBy: a.ackedBy,
  acknowledgedAt: a.ackedAt === null ? null : new Date(a.ackedAt).toISOString(),
  note: a.note,
});

function mustRead(c: Caller): void {
  if (!readsAll(c)) throw new RestError(403, ErrorCode.NOT_PERMITTED, "alerts are for operators and auditors");
}

export function alertRoutes(id: IdentityParts, history: () => HistoryStore | null): RouteModule {
  function store(): HistoryStore {
    const s = history();
    if (!s) throw new RestError(503, "HISTORY_UNAVAILABLE", "the history store is not available (disabled, or not answering yet): alerts cannot be read now");
    return s;
  }

  return (app: RestApp, deps: RouteDeps) => {
    const who = callerAuth(id, deps.signed);

    app.openapi(
      createRoute({
        method: "get",
        path: "/alerts",
        tags: ["operator"],
        summary: "Transaction monitoring alerts, newest first (operators and auditors)",
        security: BEARER,
        middleware: [who] as const,
        request: {
          query: z.object({
            state: z.enum(["open", "acknowledged"]).optional(),
            account: z.coerce.number().int().min(0).optional(),
            rule: z.enum(RULE_NAMES as [RuleName, ...RuleName[]]).optional(),
            from: TimeBound.optional(),
            to: TimeBound.optional(),
            cursor: z.string().max(200).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          }),
        },
        responses: { 200: json(z.object({ historySeq: z.number().int(), alerts: z.array(AlertJson), next: z.string().nullable() })), ...errorResponses(400, 401, 403, 503) },
      }),
      async (c) => {
        mustRead(c.get("caller"));
        const q = c.req.valid("query");
        const s = store();
        const historySeq = (await s.progress()).seq;
        let p;
        try {
          p = await s.alerts({ limit: q.limit, ...(q.state ? { state: q.state } : {}), ...(q.account !== undefined ? { account: q.account } : {}), ...(q.rule ? { rule: Rule[q.rule] } : {}), ...(q.from !== undefined ? { from: q.from } : {}), ...(q.to !== undefined ? { to: q.to } : {}), ...(q.cursor ? { cursor: q.cursor } : {}) });
        } catch (e) {
          if (e instanceof RangeError) throw new RestError(400, ErrorCode.INVALID_INPUT, e.message, [{ in: "query", field: "cursor", message: e.message }]);
          throw e;
        }
        return c.json({ historySeq, alerts: p.rows.map(alertJson), next: p.next }, 200);
      },
    );

    app.openapi(
      createRoute({
        method: "post",
        path: "/alerts/{id}/ack",
        tags: ["operator"],
        summary: "Acknowledge an alert, with an optional note (operators); a second acknowledgement is 409",
        security: BEARER,
        middleware: [who] as const,
        request: {
          params: z.object({ id: z.string().max(40).openapi({ param: { name: "id", in: "path" }, example: "1234.1.7" }) }),
          body: { content: { "application/json": { schema: z.object({ note: z.string().max(500).optional() }) } }, required: false },
        },
        responses: { 200: json(AlertJson), ...errorResponses(400, 401, 403, 404, 409, 503) },
      }),
      async (c) => {
        const caller = c.get("caller");
        if (!isOperator(caller)) throw new RestError(403, ErrorCode.NOT_PERMITTED, "only operators acknowledge alerts");
        const key = parseAlertId(c.req.valid("param").id);
        if (!key) throw new RestError(404, "UNKNOWN_ALERT", "no such alert");
        // The body is optional (an acknowledgement without a note): read it here rather than require one.
        const text = await c.req.text();
        let note: unknown;
        if (text.trim() !== "") {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            throw new RestError(400, ErrorCode.BAD_JSON, "the body is not JSON");
          }
          if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new RestError(400, ErrorCode.INVALID_INPUT, "the body must be a JSON object", [{ in: "body", field: "", message: "expected an object" }]);
          note = (parsed as { note?: unknown }).note;
        }
        if (note !== undefined && (typeof note !== "string" || note.length > 500)) throw new RestError(400, ErrorCode.INVALID_INPUT, "note must be text of at most 500 characters", [{ in: "body", field: "note", message: "at most 500 characters" }]);
        const r = await store().ack(key, callerName(caller), (note as string | undefined) ?? null, Date.now());
        if (!r) throw new RestError(404, "UNKNOWN_ALERT", "no such alert");
        if (!r.acked) throw new RestError(409, ErrorCode.CONFLICT, `already acknowledged by ${r.alert.ackedBy}`, { alert: alertJson(r.alert) });
        return c.json(alertJson(r.alert), 200);
      },
    );
  };
}
