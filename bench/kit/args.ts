/**
 * The command line of a bench script: one flag table per script, read the same way everywhere.
 * `--help`/`-h` print the script's usage line and exit 0; an argument the table does not name is an
 * error (a typo must not run a 5-minute bench with a default).
 */

export interface FlagValue {
  /** The next argument as a number at or above the rule's minimum (the flag's value). */
  num(): number;
  /** The next argument as text ("undefined" when there is none). */
  str(): string;
  /** The next argument as it is. */
  raw(): string | undefined;
}

export interface NumberRule {
  /** 0: "non-negative" (default); 1: "positive". */
  min?: 0 | 1;
  /** Digit groups such as 1_000_000 (default true). */
  grouped?: boolean;
}

export type FlagTable = Record<string, (value: FlagValue) => void>;

/** Runs each argument's handler from `flags`, in order. */
export function parseFlags(argv: string[], usage: string, flags: FlagTable, rule: NumberRule = {}): void {
  const min = rule.min ?? 0;
  const grouped = rule.grouped ?? true;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--help" || flag === "-h") {
      console.log(usage);
      process.exit(0);
    }
    const handler = Object.hasOwn(flags, flag) ? flags[flag] : undefined;
    if (handler === undefined) throw new Error(`unknown argument ${flag}`);
    handler({
      num: () => {
        const text = argv[++i];
        const v = Number(grouped ? String(text).replace(/_/g, "") : text);
        if (!Number.isFinite(v) || v < min) throw new Error(`${flag} needs a ${min === 1 ? "positive" : "non-negative"} number, got ${text}`);
        return v;
      },
      str: () => String(argv[++i]),
      raw: () => argv[++i],
    });
  }
}

/** `--help` anywhere: prints `usage` and exits 0 (for the scripts read with `flagOr`). */
export function exitOnHelp(argv: string[], usage: string): void {
  if (!argv.includes("--help")) return;
  console.log(usage);
  process.exit(0);
}

/**
 * The value after `name`, or `dflt` when absent: for the small scripts that take a few flags and
 * leave the rest alone (they check the values they read themselves).
 */
export function flagOr(argv: string[], name: string, dflt: number): number {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
}

/** The same for text (the servers' own flags, which their parent writes). */
export function flagText(argv: string[], name: string, dflt: string): string {
  const i = argv.indexOf(name);
  return i >= 0 ? String(argv[i + 1]) : dflt;
}

/** Progress and tables go to stderr, so that with `--json` stdout holds only the result. */
export const log = (msg: string): void => void process.stderr.write(`${msg}\n`);
