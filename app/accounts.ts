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

/** The seed's own token, so a timer's TICK delivered meanwhile is not counted as one of them. */
const SEED_TOKEN = -8;

/** Submits the seed and resolves once all of it is durable (rejects if the engine stops first). */
function submitAndWait(sequencer: Sequencer, seeds: ReturnType<typeof seedCommands>): Promise<void> {
  if (seeds.length === 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let left = seeds.length;
    const done = (failure?: Error) => {
      offDelivery();
      offStop();
      if (failure) reject(failure);
      else resolve();
    };
    const offDelivery = sequencer.onDelivery((_seq, token) => {
      if (token === SEED_TOKEN && --left === 0) done();
    });
    const offStop = sequencer.onStop(done);
    for (const c of seeds) sequencer.submit(c, SEED_TOKEN);
  });
}
