"""Local simulator of the upstream music APIs (Spotify, MusicBrainz, Discogs, Last.fm, ...)."""
