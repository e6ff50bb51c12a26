/**
 * Preloaded before every test file (bunfig.toml). Tests are hermetic: a DATABASE_URL in the
 * developer's environment would send every test exchange's history to one shared PostgreSQL
 * database. Tests that want PostgreSQL make a throwaway database and name it themselves.
 */
delete process.env.DATABASE_URL;
