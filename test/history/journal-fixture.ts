/**
 * A journal written command by command (as the Runtime writes it) from the demo config's seeding
 * and a random multi-account load with deposits, withdrawals and position moves mixed in, beside an
 * engine that ran the same commands: what the history store is checked against.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig, seedCommands } from "../../app/config.ts";
import { Journal } from "../../actors/journal/journal.ts";
import { COMMAND_SLOT_BYTES, encodeCommand } from "../../actors/layout/schema.ts";
import { paths } from "../../actors/recovery.ts";
import { LoadStream } from "../../cli/demo-load.ts";
import { Command, CommandType, makeCommand } from "../../engine/commands.ts";
import { EventBuffer } from "../../engine/events.ts";
import { Exchange } from "../../engine/exchange.ts";

export const demoConfig = loadConfig(path.join(import.meta.dir, "../../config/demo.json"));
export const accounts = (demoConfig.accounts ?? []).map((a) => a.id);

/** Engine time of command i: 37 ms apart from a fixed day, so candles of every interval open and close. */
export const timeOf = (i: number) => 1_780_000_000_000_000 + i * 37_000;

/** `n` commands after the seeding, from `seed`; every 50th a cash or position move. */
export function commands(n: number, seed = 7): Command[] {
  const seeds = seedCommands(demoConfig);
  const load = new LoadStream(demoConfig.exchange, accounts, seed, seeds.length + 1);
  const cmds = [...seeds];
  // A whitelisted destination for every account, usable after the configured delay (24 h): the load runs later.
  for (const account of accounts) cmds.push(makeCommand({ type: CommandType.ADD_DESTINATION, account, destination: `bank"${account}",main` }));
  let k = 0;
  while (cmds.length < seeds.length + accounts.length + n) {
    k++;
    const account = accounts[k % accounts.length]!;
    if (k % 150 === 50) cmds.push(makeCommand({ type: CommandType.DEPOSIT, account, currency: 1, amount: BigInt(1_000_000 + k) }));
    else if (k % 150 === 100) cmds.push(makeCommand({ type: CommandType.WITHDRAW, account, currency: 1, amount: 123_456n, destination: `bank"${account}",main` }));
    else if (k % 150 === 149) cmds.push(makeCommand({ type: CommandType.DEPOSIT_POSITION, account, symbol: 2, qty: 5, price: 40_000 }));
    else cmds.push(load.next(new Command()));
  }
  const dayLater = 86_400_000_000 + 1;
  cmds.forEach((c, i) => (c.time = timeOf(i) + (i >= seeds.length + accounts.length ? dayLater : 0)));
  return cmds;
}

/** Appends `cmds` to the journal in `dir` from seq `from` and runs them on `engine`. */
export function journal(dir: string, cmds: Command[], engine: Exchange, from = 1): void {
  const j = Journal.open({ dir: paths(dir).journal, fsync: false });
  const out = new EventBuffer();
  const bytes = new Uint8Array(COMMAND_SLOT_BYTES);
  cmds.forEach((c, i) => {
    encodeCommand(c, from + i, new DataView(bytes.buffer), 0);
    j.append(from + i, bytes);
    out.reset();
    engine.execute(c, out);
  });
  j.commit();
  j.close();
}

export function tempDir(dirs: string[], prefix = "bourse-history-"): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** A data directory with a journal of `n` load commands; returns it and the engine that ran them. */
export function journaled(dirs: string[], n: number, seed = 7): { dir: string; engine: Exchange; cmds: Command[] } {
  const dir = tempDir(dirs);
  const engine = new Exchange(demoConfig.exchange);
  const cmds = commands(n, seed);
  journal(dir, cmds, engine);
  return { dir, engine, cmds };
}
