/**
 * Waits for what a delivery changes (the engine's state, a listener's log line): `cond` is checked
 * now and after each durable delivery, once every listener of that delivery has run — no polling.
 */
import type { Sequencer } from "../../../actors/sequencer.ts";

export function afterDelivery(sequencer: Sequencer, cond: () => boolean): Promise<void> {
  if (cond()) return Promise.resolve();
  return new Promise((resolve) => {
    const off = sequencer.onDelivery(() =>
      queueMicrotask(() => {
        if (!cond()) return;
        off();
        resolve();
      }),
    );
  });
}
