/**
 * The README's SDK example runs to the end as written, against the package as it would be
 * published: client/ is built into one file (as `npm run build --workspace client` does), the ts
 * block under "Trading over WebSocket" is taken out of README.md, pointed at a test server (the
 * import at that built file, the URL at the server's port) and run in a child process, which must
 * exit 0 within the timeout having placed its order. Nothing else is changed, so the README cannot
 * drift, and a package that reached for the engine or decimal.js would show in the bundle.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoConfig, type Harness, startServer, waitFor } from "../gateway/support/harness.ts";

const ROOT = join(import.meta.dir, "../..");
const README_URL = "ws://127.0.0.1:7070/ws";
const README_IMPORT = '"@bourse/client"';

let h: Harness;
let dir: string;
let bundle: string;

beforeAll(async () => {
  h = await startServer(demoConfig());
  dir = mkdtempSync(join(tmpdir(), "bourse-readme-"));
  const built = await Bun.build({ entrypoints: [join(ROOT, "client/index.ts")], outdir: dir, target: "node", format: "esm" });
  if (!built.success) throw new AggregateError(built.logs, "client/ does not build");
  bundle = join(dir, "index.js");
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The first ```ts block after the heading. */
function exampleOf(markdown: string, heading: string): string {
  const at = markdown.indexOf(`\n## ${heading}\n`);
  if (at < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const block = /```ts\n([\s\S]*?)```/.exec(markdown.slice(at));
  if (!block) throw new Error(`no ts code block under "## ${heading}"`);
  return block[1]!;
}

test("the README's SDK example runs to the end against a server and places its order", async () => {
  const code = exampleOf(readFileSync(join(ROOT, "README.md"), "utf8"), "Trading over WebSocket");
  // The two things a test must change, and nothing else: each must be there exactly once.
  expect(code.split(README_URL).length - 1).toBe(1);
  expect(code.split(README_IMPORT).length - 1).toBe(1);
  const runnable = code.replace(README_URL, h.url).replace(README_IMPORT, JSON.stringify(bundle));
  const file = join(dir, "example.ts");
  writeFileSync(file, runnable);

  const child = Bun.spawn([process.execPath, file], { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  const timer = setTimeout(() => child.kill(), 15_000);
  const [out, err, code_] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  expect({ exit: code_, signal: child.signalCode, err }).toEqual({ exit: 0, signal: null, err: "" });
  // The book line, then the order (not "refused:" or "not sent:"): the login and the order are good.
  expect(out).toMatch(/^bid undefined ask undefined\n/);
  expect(out).toMatch(/\norder \d+ 30010\.5 0\.250\n/);
  // Cancel-on-disconnect takes the order away again once the server has seen the close.
  expect(await waitFor(() => h.runtime.exchange.book.depth(1, 1).length === 0, 5000)).toBe(true);
}, 30_000);

test("the built package is self-contained: it imports node:crypto and nothing else", () => {
  const text = readFileSync(bundle, "utf8");
  const imports = [...text.matchAll(/^import .* from ["']([^"']+)["']/gm)].map((m) => m[1]);
  expect(imports).toEqual(["node:crypto"]);
  expect(text).not.toContain("decimal.js");
});
