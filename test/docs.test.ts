/**
 * The docs' mechanical claims, held to the code: the repository's docs stand alone, the numbers
 * and file names they quote are the code's, and every command they show runs without a global Bun.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EVENT_WIDTH } from "../engine/events.ts";
import { storeKey } from "../gateway/fix/store.ts";

const ROOT = join(import.meta.dir, "..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");
const DOCS = ["README.md", "bench/README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** The lines of every fenced sh block in a Markdown file. */
function shellLines(md: string): string[] {
  const out: string[] = [];
  for (const m of md.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) out.push(...m[1]!.split("\n").filter((l) => l.trim() !== ""));
  return out;
}

describe("docs", () => {
  test("point at no file outside the repository", () => {
    for (const f of DOCS) expect({ f, outside: /\.\.\/shared|DESIGN\.md/.test(read(f)) }).toEqual({ f, outside: false });
  });

  test("run Bun through npm or npx, never a global bun", () => {
    for (const f of DOCS) {
      for (const line of shellLines(read(f))) expect({ f, line, global: /^\s*bun\s/.test(line) }).toEqual({ f, line, global: false });
    }
  });

  test("docs/architecture.md quotes the event width the engine uses", () => {
    const m = /fixed (\d+)-number records/.exec(read("docs/architecture.md"));
    expect(Number(m?.[1])).toBe(EVENT_WIDTH);
  });

  test("docs/fix.md names the FIX store files as the store writes them", () => {
    const fix = read("docs/fix.md");
    const key = storeKey("1.ALICE");
    expect(fix).toContain(`data/fix/${key}.out`);
    expect(fix).toContain(`data/fix/${key}.seqs`);
  });

  test("the README's HeartBtInt range starts at 0, which the FIX door accepts", () => {
    expect(read("README.md")).toContain("| HeartBtInt | 0–300 s");
  });

  test("the README's layout table names every folder of the tree, and only those", () => {
    const layout = read("README.md").split("\n## Layout\n")[1]!.split("\n## ")[0]!;
    const named = new Set([...layout.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([^`/]+)\/`/g)].map((n) => n[1]!)));
    const tracked = Bun.spawnSync(["git", "ls-files"], { cwd: ROOT }).stdout.toString().split("\n");
    const folders = new Set(tracked.filter((f) => f.includes("/")).map((f) => f.split("/")[0]!));
    expect([...named].sort()).toEqual([...folders].sort());
  });
});
