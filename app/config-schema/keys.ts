/**
 * The building blocks of the configuration schema: each value's kind said once, in words, so the
 * same text is the type column of docs/configuration.md and the "expected …" of an error
 * (`gateway.port: expected an integer 0–65535, got "abc"`). A key is a value with a meaning
 * (zod's `.describe()`) and, if optional, the default the code applies when it is absent.
 *
 * The defaults are documentation: validation never fills them in, because the code that reads a
 * key applies its own default (and some depend on other keys: `fix.port` follows `--port 0`).
 */
import { z } from "zod";

export interface KeyDoc {
  /** The value's kind, with an article: "an integer 0–65535", "a decimal string". */
  type: string;
  /** What the code uses when the key is absent, as the reference shows it ("`7070`", "on when …"). */
  default?: string;
  /** A secret (a password, a key's secret, a URL with one): its value never appears in an error. */
  secret?: boolean;
}

/** Each schema's kind and default, by schema object (the key's own: `.describe()` and `.optional()` make new ones). */
export const keyDocs = z.registry<KeyDoc>();

function kind<T extends z.ZodType>(schema: T, type: string): T {
  keyDocs.add(schema, { type });
  return schema;
}

const range = (min: number, max: number) => (max >= Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `${min}–${max}`);

export const int = (min: number, max: number = Number.MAX_SAFE_INTEGER) => kind(z.number().int().min(min).max(max), `an integer ${range(min, max)}`);
export const num = (min: number, max: number) => kind(z.number().min(min).max(max), `a number from ${min} to ${max}`);
export const bool = () => kind(z.boolean(), "true or false");
export const port = () => int(0, 65_535);
/** Basis points, 0–10000. */
export const bps = () => int(0, 10_000);
/** A duration in µs of engine time. */
export const micros = () => int(0);
export const text = () => kind(z.string().min(1), "a non-empty string");
export const pattern = (re: RegExp, type: string) => kind(z.string().regex(re), type);
/** An id on the wire (an API key id, a FIX CompID): printable ASCII, no spaces. */
export const printable = () => pattern(/^[\x21-\x7e]{1,64}$/, "1–64 printable ASCII characters");
export const sized = (min: number, max: number) => kind(z.string().min(min).max(max), `a string of ${min}–${max} characters`);
/** A decimal number written as a string, converted exactly ("0.01", "1000000"). */
export const decimal = () => pattern(/^\d+(\.\d+)?$/, 'a decimal string ("0.01")');
export const hhmm = () => pattern(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day "HH:MM"');
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => kind(z.enum(values), `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`);

export const object = <S extends z.ZodRawShape>(shape: S, type = "an object") => kind(z.strictObject(shape), type);
export const list = <T extends z.ZodType>(of: T, type = "a list") => kind(z.array(of), type);
/** An object whose keys are names the operator chooses (currency codes, venue names). */
export const map = <V extends z.ZodType>(keyName: string, of: V) => kind(z.record(z.string(), of), `an object of ${keyName} → ${(keyDocs.get(of)?.type ?? "value").replace(/^an? /, "")}`);

/** A schema's kind: its own, or (readonly) its inner one's. */
const docOf = (schema: z.ZodType): KeyDoc => keyDocs.get(schema) ?? (schema instanceof z.ZodReadonly ? docOf(schema.unwrap() as z.ZodType) : { type: "" });

/** A required key and its meaning. */
export function required<T extends z.ZodType>(schema: T, meaning: string, extra: Partial<KeyDoc> = {}): T {
  const out = schema.describe(meaning) as T;
  keyDocs.add(out, { ...docOf(schema), ...extra });
  return out;
}

/** An optional key, its meaning, and what the code uses without it (a value, or words). */
export function optional<T extends z.ZodType>(schema: T, meaning: string, dflt?: unknown, extra: Partial<KeyDoc> = {}): z.ZodOptional<T> {
  const out = schema.optional().describe(meaning);
  // A value is shown as JSON in code marks; words as they are.
  const shown = dflt === undefined ? undefined : typeof dflt === "string" && dflt.startsWith("(") ? dflt.slice(1, -1) : `\`${JSON.stringify(dflt)}\``;
  keyDocs.add(out, { ...docOf(schema), ...(shown === undefined ? {} : { default: shown }), ...extra });
  return out;
}

/** Words for a default that is not a value: `optional(x, "…", words("none"))`. */
export const words = (s: string) => `(${s})`;
