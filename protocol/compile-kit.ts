/**
 * What the codec compilers share: building a function from generated source, and a cursor that
 * names a field's offset as a constant while every field before it is of fixed size, and as
 * `p + k` past a string.
 */

/** A JavaScript literal of a string, for generated source. */
export const lit = (s: string): string => JSON.stringify(s);

/**
 * A function built from source once, at load time. The helpers it calls are parameters of the
 * factory, so the function closes over them as constants; `fn.toString()` shows the generated code.
 */
export function compile(name: string, params: readonly string[], body: string, helpers: Record<string, unknown>): unknown {
  const keys = Object.keys(helpers);
  const source = `"use strict";\nreturn function ${name}(${params.join(", ")}) {\n${body}\n};`;
  return new Function(...keys, source)(...keys.map((k) => helpers[k]));
}

/** Where the next field starts: `k` bytes past `base` (a local), or the constant `k` with no base. */
export class Cursor {
  constructor(
    private k: number,
    private base: string | null = null,
  ) {}

  at(extra = 0): string {
    const k = this.k + extra;
    if (this.base === null) return String(k);
    return k === 0 ? this.base : `${this.base} + ${k}`;
  }

  get fixed(): boolean {
    return this.base === null;
  }

  skip(n: number): void {
    this.k += n;
  }

  /** The position is now in the local `p` (a string was written or read). */
  moved(): void {
    this.base = "p";
    this.k = 0;
  }

  /** A statement moving `p` to the cursor (after an entry whose last fields are fixed). */
  advance(): string {
    const k = this.k;
    this.k = 0;
    if (this.base === "p") return k === 0 ? "" : `p += ${k};`;
    const to = this.base === null ? String(k) : `${this.base} + ${k}`;
    this.base = "p";
    return `p = ${to};`;
  }
}

/**
 * A switch on the type byte calling each message's decoder (or encoder) directly, so every call
 * site is monomorphic; `fallback` runs for a type with none.
 */
export function compileDispatch<F>(
  name: string,
  params: readonly string[],
  on: string,
  table: ReadonlyMap<number, unknown>,
  fallback: unknown,
  /** What the table's functions are called with, when not all of `params`. */
  args: readonly string[] = params,
): F {
  const helpers: Record<string, unknown> = { fallback };
  let body = `switch (${on}) {\n`;
  for (const [type, fn] of table) {
    helpers[`f${type}`] = fn;
    body += `case ${type}: return f${type}(${args.join(", ")});\n`;
  }
  body += `default: return fallback(${params.join(", ")});\n}`;
  return compile(name, params, body, helpers) as F;
}
