import { isDone } from "../engine/orders.ts";
import { OrderState } from "../engine/order-state.ts";

/**
 * The "open" and "closed" filters of an order listing: the engine's own final states (isDone), and
 * the states an order can still leave (every one past NONE that is not final).
 */
const STATES = Object.values(OrderState).filter((s) => s !== OrderState.NONE);
export const CLOSED_STATES: readonly number[] = STATES.filter(isDone);
export const OPEN_STATES: readonly number[] = STATES.filter((s) => !isDone(s));
