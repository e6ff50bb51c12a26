/**
 * The PostgreSQL store's tables, as numbered migrations run at open (history/postgres-store.ts).
 * A migration never changes once released; a new one is appended. The tables, columns and primary
 * keys are SQLite's (history/sqlite-schema.ts). Money (notional, fee, amount, balance, cost,
 * realized) is NUMERIC, exact at any size; ids, ticks, lots and µs times are int8; small codes
 * (side, kind, state, reason, …) are int4. Names are unqualified: the store sets search_path to
 * its schema on every connection.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE progress (id int4 PRIMARY KEY CHECK (id = 1), seq int8 NOT NULL, time int8 NOT NULL);
  INSERT INTO progress (id, seq, time) VALUES (1, 0, 0);
  CREATE TABLE orders (
    order_id int8 PRIMARY KEY, seq int8 NOT NULL, time int8 NOT NULL, account int8 NOT NULL,
    symbol int8 NOT NULL, side int4 NOT NULL, order_type int4 NOT NULL, tif int4 NOT NULL,
    price int8 NOT NULL, stop_price int8 NOT NULL, qty int8 NOT NULL, stp int4 NOT NULL,
    flags int4 NOT NULL, expire_time int8 NOT NULL, client_order_id text NOT NULL,
    actor int4 NOT NULL, session int8 NOT NULL);
  CREATE INDEX orders_by_account ON orders (account, order_id);
  CREATE INDEX orders_by_client_id ON orders (account, client_order_id, order_id);
  CREATE TABLE order_events (
    seq int8 NOT NULL, idx int4 NOT NULL, time int8 NOT NULL, order_id int8 NOT NULL,
    account int8 NOT NULL, symbol int8 NOT NULL, kind int4 NOT NULL, from_state int4 NOT NULL,
    to_state int4 NOT NULL, reason int4 NOT NULL, price int8 NOT NULL, qty int8 NOT NULL,
    filled int8 NOT NULL, leaves int8 NOT NULL, actor int4 NOT NULL, session int8 NOT NULL,
    command_type int4 NOT NULL, PRIMARY KEY (order_id, seq, idx));
  CREATE TABLE executions (
    seq int8 NOT NULL, idx int4 NOT NULL, liquidity int4 NOT NULL, trade_id int8 NOT NULL,
    time int8 NOT NULL, symbol int8 NOT NULL, order_id int8 NOT NULL, account int8 NOT NULL,
    side int4 NOT NULL, price int8 NOT NULL, qty int8 NOT NULL, leaves int8 NOT NULL,
    counter_order_id int8 NOT NULL, counter_account int8 NOT NULL, notional numeric NOT NULL,
    fee numeric NOT NULL, fee_bps int4 NOT NULL, currency int4 NOT NULL,
    PRIMARY KEY (account, seq, idx, liquidity));
  CREATE INDEX executions_by_order ON executions (order_id, seq, idx);
  CREATE INDEX executions_by_symbol ON executions (symbol, liquidity, seq, idx);
  CREATE TABLE cash (
    seq int8 NOT NULL, idx int4 NOT NULL, n int4 NOT NULL, time int8 NOT NULL,
    account int8 NOT NULL, currency int4 NOT NULL, kind int4 NOT NULL, amount numeric NOT NULL,
    balance numeric NOT NULL, trade_id int8 NOT NULL, ref text NOT NULL,
    PRIMARY KEY (account, seq, idx, n));
  CREATE TABLE positions (
    seq int8 NOT NULL, time int8 NOT NULL, account int8 NOT NULL, symbol int8 NOT NULL,
    kind int4 NOT NULL, delta int8 NOT NULL, qty int8 NOT NULL, cost numeric NOT NULL,
    realized numeric NOT NULL, PRIMARY KEY (account, seq, symbol));
  CREATE TABLE admin (
    seq int8 NOT NULL, idx int4 NOT NULL, time int8 NOT NULL, command_type int4 NOT NULL,
    account int8 NOT NULL, symbol int8 NOT NULL, actor int4 NOT NULL, session int8 NOT NULL,
    detail text NOT NULL, PRIMARY KEY (seq, idx));
  CREATE TABLE candles (
    symbol int8 NOT NULL, "interval" int8 NOT NULL, start int8 NOT NULL, open int8 NOT NULL,
    high int8 NOT NULL, low int8 NOT NULL, close int8 NOT NULL, volume int8 NOT NULL,
    trades int8 NOT NULL, seq int8 NOT NULL, PRIMARY KEY (symbol, "interval", start));
  CREATE TABLE prunes (
    id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at int8 NOT NULL, before int8 NOT NULL,
    operator text NOT NULL, removed text NOT NULL);
  `,
  `
  CREATE TABLE alerts (
    seq int8 NOT NULL, rule int4 NOT NULL, account int8 NOT NULL, time int8 NOT NULL,
    severity int4 NOT NULL, text text NOT NULL, detail text NOT NULL,
    PRIMARY KEY (seq, rule, account));
  CREATE INDEX alerts_by_account ON alerts (account, seq);
  CREATE TABLE monitor_state (account int8 PRIMARY KEY, state text NOT NULL);
  CREATE TABLE alert_acks (
    seq int8 NOT NULL, rule int4 NOT NULL, account int8 NOT NULL, acked_by text NOT NULL,
    acked_at int8 NOT NULL, note text, PRIMARY KEY (seq, rule, account));
  `,
  // 3: reconciliation (reconcile/) reads every account's rows of a day in journal order, and
  // records how an operator resolved each break (kept by reset(), as prunes are).
  `
  CREATE INDEX executions_by_seq ON executions (seq, idx, liquidity, account);
  CREATE INDEX cash_by_seq ON cash (seq, idx, n, account);
  CREATE TABLE resolutions (
    break_id text PRIMARY KEY, action text NOT NULL CHECK (action IN ('accepted', 'adjusted')),
    reason text NOT NULL, command_seq int8 NOT NULL, operator text NOT NULL, at int8 NOT NULL);
  `,
];
