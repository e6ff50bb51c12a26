/**
 * Message bodies between the tests' flat form ({ Symbol: "X", OrderQty: 1 }) and jspurefix's
 * nested object form, using the dictionary's component definitions (used by jspurefix-client.ts).
 */

type FieldSet = any; // jspurefix ContainedFieldSet (MessageDefinition / ComponentFieldDefinition / GroupFieldDefinition)
const SIMPLE = 2; // jspurefix ContainedFieldType.Simple
const COMPONENT = 0; // ContainedFieldType.Component
const GROUP = 1; // ContainedFieldType.Group

/** Path (component names) to the component of `set` that declares simple field `name`, breadth first. */
function findInComponents(set: FieldSet, name: string): string[] | null {
  const queue: Array<{ set: FieldSet; path: string[] }> = [{ set, path: [] }];
  while (queue.length > 0) {
    const { set: s, path } = queue.shift()!;
    for (const f of s.fields) {
      if (f.type !== COMPONENT) continue;
      const def = f.definition;
      const here = [...path, f.name];
      const local = def.localNameToField.get(name);
      if (local && local.type === SIMPLE) return here;
      queue.push({ set: def, path: here });
    }
  }
  return null;
}

/** Turn a flat (or partly nested) body into jspurefix's object form for `set`; throws on unknown fields. */
export function nestBody(set: FieldSet, body: Record<string, unknown>, where = set.name): Record<string, unknown> {
  const out: Record<string, any> = {};
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined) continue;
    if (key === "StandardHeader" || key === "StandardTrailer") {
      out[key] = value;
      continue;
    }
    const local = set.localNameToField.get(key);
    if (local) {
      if (local.type === COMPONENT && value !== null && typeof value === "object" && !(value instanceof Date)) {
        out[key] = { ...(out[key] ?? {}), ...nestBody(local.definition, value as Record<string, unknown>, `${where}.${key}`) };
      } else if (local.type === GROUP && Array.isArray(value)) {
        out[key] = value.map((g, i) => nestBody(local.definition, g as Record<string, unknown>, `${where}.${key}[${i}]`));
      } else {
        out[key] = value;
      }
      continue;
    }
    const path = findInComponents(set, key);
    if (!path) throw new Error(`jspurefix harness: field '${key}' is not defined on ${where} in this dictionary`);
    let target = out;
    for (const p of path) target = target[p] ??= {};
    target[key] = value;
  }
  return out;
}

/** Hoist the simple fields of (nested) components to the top level; first occurrence wins, groups skipped. */
export function flattenBody(body: Record<string, unknown> | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (o: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(o)) {
      if (Array.isArray(v)) continue;
      if (v !== null && typeof v === "object" && !(v instanceof Date)) walk(v as Record<string, unknown>);
      else if (!(k in out)) out[k] = v;
    }
  };
  if (body) walk(body);
  return out;
}

// ---------------------------------------------------------------------------------------------
// the initiator
