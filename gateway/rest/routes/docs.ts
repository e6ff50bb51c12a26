import { createRoute, z } from "@hono/zod-openapi";
import type { RestApp, RouteDeps } from "../route-module.ts";

/**
 * The OpenAPI 3.1 document, generated from the routes' own definitions, and a page listing them.
 * The page is plain HTML rendered here from the document rather than a viewer loaded from a CDN:
 * it works offline and under any Content-Security-Policy, and puts no third-party script on the
 * exchange's own origin (a page there runs with the origin's standing; a CDN is one more party to
 * trust). A client wanting a richer viewer points it at /api/v1/openapi.json.
 */

type Document = ReturnType<RestApp["getOpenAPI31Document"]>;

export const OPENAPI_INFO = { title: "Bourse REST API", version: "1" } as const;

export function openApiDocument(app: RestApp): Document {
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { ...OPENAPI_INFO, description: "JSON over HTTP on the WebSocket door's port. Errors: { code, message, details? }. Signed routes: docs/rest.md, Signing." },
  });
}

export function docsRoutes(app: RestApp, _deps: RouteDeps): void {
  // Generated on first ask, when every module has registered its routes.
  let doc: Document | null = null;
  let page: string | null = null;
  const document = () => (doc ??= openApiDocument(app));

  app.openapi(
    createRoute({ method: "get", path: "/openapi.json", tags: ["docs"], summary: "This document (OpenAPI 3.1)", responses: { 200: { description: "The OpenAPI document", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } } } }),
    (c) => c.json(document() as unknown as Record<string, unknown>, 200),
  );

  app.openapi(
    createRoute({ method: "get", path: "/docs", tags: ["docs"], summary: "The routes, as a page", responses: { 200: { description: "An HTML page listing the routes", content: { "text/html": { schema: z.string() } } } } }),
    (c) => c.html((page ??= renderPage(document()))),
  );
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;

function renderPage(d: Document): string {
  const rows: string[] = [];
  for (const [path, item] of Object.entries(d.paths ?? {})) {
    for (const m of METHODS) {
      const op = (item as Record<string, { summary?: string; security?: unknown[]; responses?: Record<string, unknown> } | undefined>)[m];
      if (!op) continue;
      const signed = (op.security?.length ?? 0) > 0 ? "signed" : "public";
      const statuses = Object.keys(op.responses ?? {}).join(", ");
      rows.push(`<tr><td><code>${m.toUpperCase()}</code></td><td><code>${esc(path)}</code></td><td>${signed}</td><td>${esc(op.summary ?? "")}</td><td>${esc(statuses)}</td></tr>`);
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(d.info.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3rem .8rem;text-align:left}</style>
</head><body>
<h1>${esc(d.info.title)} <small>v${esc(d.info.version)}</small></h1>
<p>The machine-readable document: <a href="openapi.json">openapi.json</a> (OpenAPI ${esc(d.openapi)}). Signed routes need BOURSE-KEY, BOURSE-TIMESTAMP and BOURSE-SIGNATURE (HMAC-SHA256 over timestamp + METHOD + path with query + body, hex). Every error is <code>{ "code", "message", "details"? }</code>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>Auth</th><th>What</th><th>Answers</th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table></body></html>
`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
