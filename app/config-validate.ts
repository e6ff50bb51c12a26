/**
 * The configuration checked against its schema (app/config-schema/): every unknown key, wrong type
 * and out-of-range value becomes one line naming the dotted key path, array indexes included,
 *
 *   gateway.port: expected an integer 0–65535, got "abc"
 *   gateway.prot: unknown key (did you mean "port"?)
 *
 * and an OperatorError says the first with the file's name (`bourse config check` lists them all).
 */
import { z } from "zod";
import { OperatorError } from "../actors/operator-error.ts";
import type { BourseConfig } from "./config-types.ts";
import { bourseConfigSchema } from "./config-schema/index.ts";
import { keyDocs } from "./config-schema/keys.ts";
import { closest } from "./closest.ts";

type Path = readonly PropertyKey[];

/** Every problem of `raw` against the schema, one line each; empty when it conforms. */
export function configProblems(raw: unknown): string[] {
  const r = bourseConfigSchema.safeParse(raw);
  if (r.success) return [];
  const lines: string[] = [];
  for (const issue of r.error.issues) explain(issue, [], raw, lines);
  // An unknown key first: a typo ("prot") often explains a missing key beside it.
  return lines.sort((a, b) => Number(!a.includes("unknown key")) - Number(!b.includes("unknown key")));
}

/**
 * Throws an OperatorError naming `file` ("the configuration" for one built in code) and the first
 * problem's key, saying how many more there are.
 */
export function validateConfig(raw: unknown, file = "the configuration"): asserts raw is BourseConfig {
  const problems = configProblems(raw);
  if (problems.length > 0) {
    const more = problems.length - 1;
    const listing = file === "the configuration" ? "" : `; bourse config check --config ${file} lists them`;
    throw new OperatorError(`${file}: ${problems[0]}${more > 0 ? ` (and ${more} more problem${more > 1 ? "s" : ""}${listing})` : ""}`);
  }
}

/** "exchange.instruments[2].tickSize" */
export function keyPath(path: Path): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out === "" ? String(seg) : `.${String(seg)}`;
  return out;
}

function explain(issue: z.core.$ZodIssue, base: Path, root: unknown, lines: string[]): void {
  const path = [...base, ...issue.path];
  const where = keyPath(path) || "the configuration";
  const schema = schemaAt(path);
  const value = valueAt(root, path);
  if (issue.code === "unrecognized_keys") {
    const known = schema ? Object.keys(shapeOf(schema) ?? {}) : [];
    for (const key of issue.keys) {
      // Bourse itself gives a routed instrument its venue's street account (app/config.ts resolveVenues): a config checked again after that is still the file's.
      if (key === "venueAccount" && path.length === 3 && path[1] === "instruments" && (value as { venue?: unknown }).venue !== undefined) continue;
      const near = closest(key, known);
      const list = known.length > 0 ? `; the keys ${path.length === 0 ? "at the top" : `of ${where}`} are ${known.join(", ")}` : "";
      lines.push(`${keyPath([...path, key])}: unknown key${near ? ` (did you mean "${near}"?)` : list}`);
    }
    return;
  }
  if (issue.code === "invalid_union") {
    // An object given where an object or false is taken: the object's own problems, by their keys.
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const branch = issue.errors.find((errs) => !errs.some((e) => e.path.length === 0 && e.code !== "unrecognized_keys"));
      if (branch) {
        for (const e of branch) explain(e, path, root, lines);
        return;
      }
    }
  }
  if (issue.code === "custom") {
    lines.push(`${where}: ${issue.message}`);
    return;
  }
  const doc = schema ? docOf(schema) : undefined;
  const expected = doc?.type ?? issue.message;
  if (value === undefined) lines.push(`${where}: missing; expected ${expected}`);
  else if (issue.code === "too_small" && Array.isArray(value) && value.length === 0) lines.push(`${where}: expected ${expected} with at least ${String(issue.minimum)}, got an empty list`);
  else lines.push(`${where}: expected ${expected}, got ${doc?.secret ? kindOf(value) : shown(value)}`);
}

/** The value as it was written, short; a secret's only by kind. */
function shown(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

function kindOf(value: unknown): string {
  if (typeof value === "string") return `a string of ${value.length} characters`;
  return Array.isArray(value) ? "a list" : value === null ? "null" : `a ${typeof value}`;
}

function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** The schema of the key at `path`: the key's own (with its meaning and default), not its value's. */
export function schemaAt(path: Path): z.ZodType | undefined {
  let s: z.ZodType | undefined = bourseConfigSchema;
  for (const seg of path) {
    if (s === undefined) return undefined;
    s = childOf(s, seg);
  }
  return s;
}

/** The schema inside wrappers (optional, readonly), and of a union the object branch. */
export function unwrap(s: z.ZodType): z.ZodType {
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodReadonly) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodUnion) s = (s.options as z.ZodType[]).find((o) => o instanceof z.ZodObject) ?? (s.options[0] as z.ZodType);
    else return s;
  }
}

function childOf(s: z.ZodType, seg: PropertyKey): z.ZodType | undefined {
  const inner = unwrap(s);
  if (inner instanceof z.ZodObject) return (inner.shape as Record<string, z.ZodType>)[String(seg)];
  if (inner instanceof z.ZodArray) return inner.element as z.ZodType;
  if (inner instanceof z.ZodRecord) return inner.valueType as z.ZodType;
  if (inner instanceof z.ZodTuple) return (inner.def.items as z.ZodType[])[Number(seg)];
  return undefined;
}

function shapeOf(s: z.ZodType): Record<string, z.ZodType> | undefined {
  const inner = unwrap(s);
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>) : undefined;
}

/** A key's kind, default and secrecy: its own entry, else its value's (a list's element, a tuple's item). */
export function docOf(s: z.ZodType) {
  for (let cur: z.ZodType = s; ; ) {
    const d = keyDocs.get(cur);
    if (d) return d;
    if (cur instanceof z.ZodOptional || cur instanceof z.ZodReadonly) cur = cur.unwrap() as z.ZodType;
    else return undefined;
  }
}
