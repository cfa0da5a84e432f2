"""Media download service (optivus.media.v1) on yt-dlp."""
