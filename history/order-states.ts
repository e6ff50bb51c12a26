import { OrderState } from "../engine/order-state.ts";

/** States an order can still leave, and the final ones: the "open" and "closed" filters of an order listing. */
export const OPEN_STATES: readonly number[] = [OrderState.PENDING, OrderState.NEW, OrderState.PARTIALLY_FILLED];
export const CLOSED_STATES: readonly number[] = [OrderState.FILLED, OrderState.CANCELLED, OrderState.EXPIRED, OrderState.REJECTED];
