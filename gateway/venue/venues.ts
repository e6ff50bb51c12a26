import type { Sequencer } from "../../actors/sequencer.ts";
import type { CommandInit } from "../../engine/commands.ts";
import { marketDataSettings } from "./market-data-config.ts";
import { VenueMarketDataFeed } from "./market-data-feed.ts";
import { MarketDataGuard, type SubmitOutcome } from "./market-data-guard.ts";
import type { Instrument } from "../../engine/instrument.ts";
import { type Logger, silentLogger } from "../../log/logger.ts";
import type { VenueConnection, VenueLinkConfig } from "./link-config.ts";
import { VenueRouter } from "./router.ts";
import { VenueLink } from "./venue-link.ts";

export interface Venue {
  readonly name: string;
  readonly link: VenueLink;
  readonly router: VenueRouter;
  /** The venue's market data watch; null when the venue sends none (`marketData: false`). */
  readonly feed: VenueMarketDataFeed | null;
}

export interface VenuesOptions {
  venues: Record<string, VenueLinkConfig>;
  instruments: readonly Instrument[];
  sequencer: Sequencer;
  dataDir: string;
  /** The one path for system commands answered once durable (Directory.submit): the market data guard's flags. */
  submit: (init: CommandInit) => Promise<SubmitOutcome>;
  /** A symbol's market data flag as recovered (a flag survives a restart). */
  initialMarketData: (symbol: number) => number;
  log?: Logger;
}

/**
 * Brings up routing to every configured venue (docs/venues.md): for each, a router on the durable
 * stream and a FIX initiator link. First the venue is journaled unavailable — whatever the
 * recovered state says, no session is up yet, so an order sent before a crash and unanswered is
 * PENDING_UNKNOWN — then the link connects and, logged on, journals it available.
 */
export function startVenues(o: VenuesOptions): Venue[] {
  const log = o.log ?? silentLogger;
  const out: Venue[] = [];
  for (const [name, c] of Object.entries(o.venues)) {
    if (c.enabled === false || c.routing === false) continue;
    const routed = o.instruments.filter((i) => i.venueAccount === c.account);
    let router: VenueRouter | null = null;
    let feed: VenueMarketDataFeed | null = null;
    let logons = 0;
    const link = new VenueLink(
      name,
      // Checked at load (checkVenueLink): an enabled venue has its connection.
      c as VenueConnection,
      VenueLink.storeDir(o.dataDir),
      {
        onUp: () => {
          router!.linkChanged(true, "logged on");
          // Market data is asked for again on every logon: a subscription does not outlive its session.
          if (feed) logons++ === 0 ? feed.start() : feed.subscribe();
        },
        onDown: (why) => router!.linkChanged(false, why),
        onMessage: (m) => {
          if (!feed?.onApplication(m)) router!.onMessage(m);
        },
      },
      log,
    );
    router = new VenueRouter(name, c.account, o.instruments, o.sequencer, link, log);
    if (c.marketData !== false && routed.length > 0) {
      const settings = marketDataSettings(c.marketData, `venues.${name}.marketData`);
      const guard = new MarketDataGuard({ settings, symbols: routed.map((i) => i.id), submit: o.submit, nowMs: Date.now(), initial: o.initialMarketData, log });
      feed = new VenueMarketDataFeed({ session: { sendApp: (f) => link.send(f) }, guard, instruments: routed.map((instrument) => ({ instrument })), clock: Date.now, checkEveryMs: settings.checkEveryMs, log });
    }
    router.listen();
    router.linkChanged(false, "starting: not connected yet");
    link.start();
    out.push({ name, link, router, feed });
  }
  return out;
}

export async function stopVenues(venues: readonly Venue[]): Promise<void> {
  for (const v of venues) v.feed?.stop();
  await Promise.all(venues.map((v) => v.link.stop()));
  for (const v of venues) v.router.close();
}
