import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { sourceFiles } from "./source-files.ts";

// Errors are told apart by class, and a log line or a stack names them by `name`: a class that
// forgets to set it prints as "Error", and a plain `new Error` gives its catcher nothing to match
// but the text. Checked from the source text, as test/architecture.test.ts checks the imports.

const root = resolve(import.meta.dir, "..");

const read = (folders: string[]) => folders.flatMap((f) => sourceFiles(join(root, f))).map((file) => ({ file: relative(root, file), text: readFileSync(file, "utf8") }));

/** Every error class of `sources`, by name, with its body (to its closing brace at the start of a line). */
function errorClasses(sources: { file: string; text: string }[]): { name: string; file: string; body: string }[] {
  const all: { name: string; base: string; file: string; body: string }[] = [];
  for (const { file, text } of sources) {
    for (const m of text.matchAll(/^(?:export )?(?:abstract )?class (\w+) extends (\w+)/gm)) {
      const end = text.indexOf("\n}", m.index);
      const oneLine = text.indexOf("\n", m.index);
      // `class X extends Y {}` ends on its own line; anything else at the next top-level brace.
      const body = text.slice(m.index, /\{\s*\}\s*$/.test(text.slice(m.index, oneLine)) ? oneLine : end < 0 ? undefined : end);
      all.push({ name: m[1]!, base: m[2]!, file, body });
    }
  }
  const errors = new Set(["Error", "RangeError", "TypeError"]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of all) {
      if (errors.has(c.base) && !errors.has(c.name)) {
        errors.add(c.name);
        grew = true;
      }
    }
  }
  return all.filter((c) => errors.has(c.base));
}

/** `name = "X"` as a field or `this.name = "X"` in the constructor. */
function setsName(c: { name: string; body: string }): boolean {
  return new RegExp(`\\bname\\s*=\\s*"${c.name}"`).test(c.body);
}

/** The plain `new Error(` calls of `sources`, as file:line. A thrown value that is not an Error at all (`new Error(String(x))`) has no class to pick. */
function plainErrors(sources: { file: string; text: string }[]): string[] {
  const found: string[] = [];
  for (const { file, text } of sources) {
    text.split("\n").forEach((line, i) => {
      if (/\bnew Error\((?!String\()/.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  return found;
}

// protocol/ is being rewritten from one description per message (issue 13); its throws join this list with it.
const TYPED = ["engine", "actors", "storage", "log", "cli", "app", "gateway", "bin", "client", "history", "reconcile"];
const ALL = [...TYPED, "protocol", "bench"];

describe("errors", () => {
  const classes = errorClasses(read(ALL));

  test("the scan finds the error classes", () => {
    const names = classes.map((c) => c.name);
    for (const n of ["OperatorError", "UsageError", "DataDirInUse", "JournalCorruptError", "InvariantError", "CommandLayoutError", "FixStoreCorruptError"]) expect(names).toContain(n);
    expect(classes.length).toBeGreaterThan(20);
  });

  test("every error class sets name to its class name", () => {
    expect(classes.filter((c) => !setsName(c)).map((c) => `${c.file}: ${c.name}`)).toEqual([]);
  });

  test("no plain `new Error(` outside tests, bench and protocol/", () => {
    expect(plainErrors(read(TYPED))).toEqual([]);
  });

  test("the checks catch what they are for", () => {
    const bad = [{ file: "x.ts", text: 'export class AError extends Error {}\nclass BError extends AError {\n  override name = "AError";\n}\n  throw new Error("x");\n' }];
    expect(errorClasses(bad).filter((c) => !setsName(c)).map((c) => c.name)).toEqual(["AError", "BError"]);
    expect(plainErrors(bad)).toEqual(['x.ts:5: throw new Error("x");']);
  });
});
