import { createRoute, z } from "@hono/zod-openapi";
import { SCOPES } from "../../auth/keys.ts";
import { type RestApp, type RouteDeps, SIGNED_SECURITY } from "../route-module.ts";
import { requireScope } from "../auth.ts";
import { errorResponses } from "../errors.ts";

/** The first signed route: who the signature says the caller is. A template for the ones to come. */

const MeSchema = z
  .object({
    account: z.number().int(),
    keyId: z.string(),
    scopes: z.array(z.enum(SCOPES)),
  })
  .openapi("Me");

export function meRoutes(app: RestApp, deps: RouteDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/me",
      tags: ["account"],
      summary: "The account, key and scopes of the signing key",
      security: SIGNED_SECURITY,
      middleware: [deps.signed, requireScope("read")] as const,
      responses: { 200: { description: "The caller", content: { "application/json": { schema: MeSchema } } }, ...errorResponses(401, 403, 429, 503) },
    }),
    (c) => {
      const a = c.get("auth");
      return c.json({ account: a.account, keyId: a.keyId, scopes: [...a.scopes] }, 200);
    },
  );
}
