/**
 * The embedded store's tables, as numbered migrations run at open (history/sqlite-store.ts). A
 * migration never changes once released; a new one is appended. Money is TEXT holding the exact
 * integer count of minor units (SQLite's INTEGER stops at 2^63 and its REAL is a float); ticks,
 * lots, ids and µs times are INTEGER, which SQLite keeps exact to 2^63.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE progress (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, time INTEGER NOT NULL);
  INSERT INTO progress (id, seq, time) VALUES (1, 0, 0);
  CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, time INTEGER NOT NULL, account INTEGER NOT NULL,
    symbol INTEGER NOT NULL, side INTEGER NOT NULL, order_type INTEGER NOT NULL, tif INTEGER NOT NULL,
    price INTEGER NOT NULL, stop_price INTEGER NOT NULL, qty INTEGER NOT NULL, stp INTEGER NOT NULL,
    flags INTEGER NOT NULL, expire_time INTEGER NOT NULL, client_order_id TEXT NOT NULL,
    actor INTEGER NOT NULL, session INTEGER NOT NULL);
  CREATE INDEX orders_by_account ON orders (account, order_id);
  CREATE INDEX orders_by_client_id ON orders (account, client_order_id, order_id);
  CREATE TABLE order_events (
    seq INTEGER NOT NULL, idx INTEGER NOT NULL, time INTEGER NOT NULL, order_id INTEGER NOT NULL,
    account INTEGER NOT NULL, symbol INTEGER NOT NULL, kind INTEGER NOT NULL, from_state INTEGER NOT NULL,
    to_state INTEGER NOT NULL, reason INTEGER NOT NULL, price INTEGER NOT NULL, qty INTEGER NOT NULL,
    filled INTEGER NOT NULL, leaves INTEGER NOT NULL, actor INTEGER NOT NULL, session INTEGER NOT NULL,
    command_type INTEGER NOT NULL, PRIMARY KEY (order_id, seq, idx)) WITHOUT ROWID;
  CREATE TABLE executions (
    seq INTEGER NOT NULL, idx INTEGER NOT NULL, liquidity INTEGER NOT NULL, trade_id INTEGER NOT NULL,
    time INTEGER NOT NULL, symbol INTEGER NOT NULL, order_id INTEGER NOT NULL, account INTEGER NOT NULL,
    side INTEGER NOT NULL, price INTEGER NOT NULL, qty INTEGER NOT NULL, leaves INTEGER NOT NULL,
    counter_order_id INTEGER NOT NULL, counter_account INTEGER NOT NULL, notional TEXT NOT NULL,
    fee TEXT NOT NULL, fee_bps INTEGER NOT NULL, currency INTEGER NOT NULL,
    PRIMARY KEY (account, seq, idx, liquidity)) WITHOUT ROWID;
  CREATE INDEX executions_by_order ON executions (order_id, seq, idx);
  CREATE INDEX executions_by_symbol ON executions (symbol, liquidity, seq, idx);
  CREATE TABLE cash (
    seq INTEGER NOT NULL, idx INTEGER NOT NULL, n INTEGER NOT NULL, time INTEGER NOT NULL,
    account INTEGER NOT NULL, currency INTEGER NOT NULL, kind INTEGER NOT NULL, amount TEXT NOT NULL,
    balance TEXT NOT NULL, trade_id INTEGER NOT NULL, ref TEXT NOT NULL,
    PRIMARY KEY (account, seq, idx, n)) WITHOUT ROWID;
  CREATE TABLE positions (
    seq INTEGER NOT NULL, time INTEGER NOT NULL, account INTEGER NOT NULL, symbol INTEGER NOT NULL,
    kind INTEGER NOT NULL, delta INTEGER NOT NULL, qty INTEGER NOT NULL, cost TEXT NOT NULL,
    realized TEXT NOT NULL, PRIMARY KEY (account, seq, symbol)) WITHOUT ROWID;
  CREATE TABLE admin (
    seq INTEGER NOT NULL, idx INTEGER NOT NULL, time INTEGER NOT NULL, command_type INTEGER NOT NULL,
    account INTEGER NOT NULL, symbol INTEGER NOT NULL, actor INTEGER NOT NULL, session INTEGER NOT NULL,
    detail TEXT NOT NULL, PRIMARY KEY (seq, idx)) WITHOUT ROWID;
  CREATE TABLE candles (
    symbol INTEGER NOT NULL, interval INTEGER NOT NULL, start INTEGER NOT NULL, open INTEGER NOT NULL,
    high INTEGER NOT NULL, low INTEGER NOT NULL, close INTEGER NOT NULL, volume INTEGER NOT NULL,
    trades INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (symbol, interval, start)) WITHOUT ROWID;
  CREATE TABLE prunes (
    id INTEGER PRIMARY KEY, at INTEGER NOT NULL, before INTEGER NOT NULL, operator TEXT NOT NULL,
    removed TEXT NOT NULL);
  `,
  // Transaction monitoring (docs/monitoring.md): alerts the writer raises, the rule state it resumes
  // from, and operators' acknowledgements — in a table of their own, which a rebuild keeps.
  `
  CREATE TABLE alerts (
    seq INTEGER NOT NULL, rule INTEGER NOT NULL, account INTEGER NOT NULL, time INTEGER NOT NULL,
    severity INTEGER NOT NULL, text TEXT NOT NULL, detail TEXT NOT NULL,
    PRIMARY KEY (seq, rule, account)) WITHOUT ROWID;
  CREATE INDEX alerts_by_account ON alerts (account, seq);
  CREATE TABLE monitor_state (account INTEGER PRIMARY KEY, state TEXT NOT NULL);
  CREATE TABLE alert_acks (
    seq INTEGER NOT NULL, rule INTEGER NOT NULL, account INTEGER NOT NULL, acked_by TEXT NOT NULL,
    acked_at INTEGER NOT NULL, note TEXT, PRIMARY KEY (seq, rule, account)) WITHOUT ROWID;
  `,
  // 3: reconciliation (reconcile/) reads every account's rows of a day in journal order, and
  // records how an operator resolved each break (kept by reset(), as prunes are).
  `
  CREATE INDEX executions_by_seq ON executions (seq, idx, liquidity, account);
  CREATE INDEX cash_by_seq ON cash (seq, idx, n, account);
  CREATE TABLE resolutions (
    break_id TEXT PRIMARY KEY, action TEXT NOT NULL CHECK (action IN ('accepted', 'adjusted')),
    reason TEXT NOT NULL, command_seq INTEGER NOT NULL, operator TEXT NOT NULL, at INTEGER NOT NULL);
  `,
];
