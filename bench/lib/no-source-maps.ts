/**
 * tsx turns source maps on (process.setSourceMapsEnabled(true)), which makes every `error.stack`
 * go through the source-map machinery. Sequelize builds an Error per query for its stack (and on
 * SQLite v6 reads `.stack` every time), so under tsx the ORM contenders would pay a cost they do
 * not pay in production, where the compiled package runs without source maps. Imported first by
 * every benchmark entry point.
 */
process.setSourceMapsEnabled(false);
