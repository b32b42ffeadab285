-- An upload's recorded outcome (R4) is written once per upload and can be large (about 700 KB of
-- JSON for 10 000 changes): lz4 compresses it to the same size as the default pglz in two thirds
-- of the time. A server built without lz4 (PGlite) keeps pglz.
DO $$
BEGIN
  ALTER TABLE "sync_uploads" ALTER COLUMN "outcome" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END $$;
