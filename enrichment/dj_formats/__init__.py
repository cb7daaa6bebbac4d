"""DJ library formats: Rekordbox XML, Traktor NML and M3U in (readers) and out (writers)."""
