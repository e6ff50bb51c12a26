import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { sourceFiles } from "./source-files.ts";

// The layering the code relies on, checked from the source text: a cheap guard so a new import that
// closes a circle, or pulls the engine off its pure footing, fails here instead of in review.
// Type-only imports count too: a circle of types still means two modules that cannot be read apart.

const root = resolve(import.meta.dir, "..");
const layers = ["engine", "actors", "gateway", "log", "storage", "protocol", "client", "app", "cli", "history", "reconcile", "metrics", "backup"];

// `import … from "x"`, `export … from "x"` (also across lines), bare `import "x"` and `import("x")`.
const specifierPattern = /(?:^|[\s;])(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

function specifiers(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(specifierPattern)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

const files = layers.flatMap((layer) => sourceFiles(join(root, layer)));
const graph = new Map<string, string[]>();
for (const file of files) {
  const local = specifiers(file)
    .filter((s) => s.startsWith("."))
    .map((s) => relative(root, resolve(dirname(file), s)));
  graph.set(relative(root, file), local);
}

// Every circle closed by a back edge of a depth-first walk: empty exactly when the graph is acyclic.
function findCycles(): string[][] {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue; // outside the checked folders: nothing there imports back in
      if (state.get(next) === "open") cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (state.get(next) === undefined) visit(next);
    }
    path.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (state.get(node) === undefined) visit(node);
  return cycles;
}

describe("architecture", () => {
  test("the import parser sees the modules and their imports", () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get("engine/exchange.ts")!.length).toBeGreaterThan(3);
  });

  test("the source folders have no import circle", () => {
    expect(findCycles().map((cycle) => cycle.join(" -> "))).toEqual([]);
  });

  test("actors/ and storage/ know no door, no protocol, no wiring (gateway/, protocol/, client/, app/, cli/)", () => {
    const found: string[] = [];
    for (const [file, imports] of graph) {
      if (!file.startsWith("actors/") && !file.startsWith("storage/")) continue;
      for (const target of imports) if (/^(gateway|protocol|client|app|cli)\//.test(target)) found.push(`${file} -> ${target}`);
    }
    expect(found).toEqual([]);
  });

  test("history/ knows no door, no protocol, no wiring (gateway/, protocol/, client/, app/, cli/)", () => {
    const found: string[] = [];
    for (const [file, imports] of graph) {
      if (!file.startsWith("history/")) continue;
      for (const target of imports) if (/^(gateway|protocol|client|app|cli)\//.test(target)) found.push(`${file} -> ${target}`);
    }
    expect(graph.has("history/writer.ts")).toBe(true);
    expect(found).toEqual([]);
  });

  test("gateway/ knows no wiring (app/, cli/): the composition root builds the doors, never the reverse", () => {
    const found: string[] = [];
    for (const [file, imports] of graph) {
      if (!file.startsWith("gateway/")) continue;
      for (const target of imports) if (/^(app|cli)\//.test(target)) found.push(`${file} -> ${target}`);
    }
    expect(graph.has("gateway/rest/routes/identity.ts")).toBe(true);
    expect(found).toEqual([]);
  });

  // The SDK is published on its own (@bourse/client): it may reach the wire protocol and nothing
  // else of Bourse, and the protocol reaches the engine only through protocol/shared.ts, for the
  // engine's leaf modules (enums and reasons that import nothing themselves).
  const ENGINE_LEAVES = ["engine/commands.ts", "engine/market-state.ts", "engine/order-state.ts", "engine/reasons.ts"];

  test("reconcile/ reads only the engine, the journal and recovery (actors/) and the history store; only cli/ and app/ import it", () => {
    const found: string[] = [];
    for (const [file, imports] of graph) {
      for (const target of imports) {
        if (file.startsWith("reconcile/") && !/^(reconcile|engine|actors|history)\//.test(target)) found.push(`${file} -> ${target}`);
        if (!/^(reconcile|cli|app)\//.test(file) && target.startsWith("reconcile/")) found.push(`${file} -> ${target}`);
      }
    }
    expect(graph.has("reconcile/reconcile.ts")).toBe(true);
    expect(found).toEqual([]);
  });

  test("backup/ reads only the engine, the runtime's files (actors/), storage/ and the history store's settings; only cli/ imports it", () => {
    const found: string[] = [];
    for (const [file, imports] of graph) {
      for (const target of imports) {
        if (file.startsWith("backup/") && !/^(backup|engine|actors|storage|history)\//.test(target)) found.push(`${file} -> ${target}`);
        if (!/^(backup|cli)\//.test(file) && target.startsWith("backup/")) found.push(`${file} -> ${target}`);
      }
    }
    expect(graph.has("backup/restore.ts")).toBe(true);
    expect(found).toEqual([]);
  });

  test("client/ imports only client/ and protocol/", () => {
    const found: string[] = [];
    for (const [file, imports] of graph) {
      if (!file.startsWith("client/")) continue;
      for (const target of imports) if (!/^(client|protocol)\//.test(target)) found.push(`${file} -> ${target}`);
    }
    expect(found).toEqual([]);
  });

  test("protocol/ reaches the engine only through protocol/shared.ts, and only its leaf modules", () => {
    const found: string[] = [];
    for (const [file, imports] of graph) {
      if (!file.startsWith("protocol/")) continue;
      for (const target of imports) {
        if (target.startsWith("protocol/")) continue;
        if (file === "protocol/shared.ts" && ENGINE_LEAVES.includes(target)) continue;
        found.push(`${file} -> ${target}`);
      }
    }
    expect(found).toEqual([]);
    for (const leaf of ENGINE_LEAVES) expect({ leaf, imports: graph.get(leaf) }).toEqual({ leaf, imports: [] });
  });

  test("metrics/ imports nothing of the project outside itself: the parts that count write into its arrays", () => {
    const found: string[] = [];
    for (const [file, imports] of graph) {
      if (!file.startsWith("metrics/")) continue;
      for (const target of imports) if (!target.startsWith("metrics/")) found.push(`${file} -> ${target}`);
    }
    expect(graph.has("metrics/histogram.ts")).toBe(true);
    expect(found).toEqual([]);
  });

  test("storage/ imports nothing of the project outside itself", () => {
    const found: string[] = [];
    for (const [file, imports] of graph) {
      if (!file.startsWith("storage/")) continue;
      for (const target of imports) if (!target.startsWith("storage/")) found.push(`${file} -> ${target}`);
    }
    expect(found).toEqual([]);
  });

  test("engine/ imports nothing outside engine/ except decimal.js", () => {
    const outside: string[] = [];
    for (const file of files.filter((f) => relative(root, f).startsWith("engine/"))) {
      for (const s of specifiers(file)) {
        const inside = s.startsWith(".") && relative(root, resolve(dirname(file), s)).startsWith("engine/");
        if (!inside && s !== "decimal.js") outside.push(`${relative(root, file)} -> ${s}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
