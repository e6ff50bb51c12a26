import type { Sequencer } from "../actors/sequencer.ts";
import type { Logger } from "../log/logger.ts";
import { missingAccountsWarning } from "./config-check.ts";
import { type BourseConfig, seedCommands } from "./config.ts";

/**
 * The configured accounts, opened and funded on a fresh data directory (nothing ever journaled
 * there) and journaled like any command; on a recovered one, a warning naming the configured
 * accounts it lacks. The one place accounts are seeded, for `serve` and `start` alike.
 */
export async function seedAccounts(o: { sequencer: Sequencer; config: BourseConfig; configFile?: string; dataDir: string; recoveredAccounts: Iterable<number>; log: Logger }): Promise<void> {
  if (o.sequencer.lastSeq === 0) {
    await submitAndWait(o.sequencer, seedCommands(o.config));
    o.log.info("fresh data directory: accounts opened and funded", { accounts: o.config.accounts?.length ?? 0 });
  } else {
    const warning = missingAccountsWarning(o.config, o.configFile ?? "the configuration", o.dataDir, o.recoveredAccounts);
    if (warning !== null) o.log.warn(warning);
  }
}

/** Submits the seed and resolves once all of it is durable (rejects if the engine stops first). */
function submitAndWait(sequencer: Sequencer, seeds: ReturnType<typeof seedCommands>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let left = seeds.length;
    const off = sequencer.onDelivery(() => {
      if (--left === 0) {
        off();
        resolve();
      }
    });
    sequencer.onStop(reject);
    for (const c of seeds) sequencer.submit(c);
    if (seeds.length === 0) {
      off();
      resolve();
    }
  });
}
