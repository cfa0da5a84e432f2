"""Speech-to-text service (optivus.speech.v1) on faster-whisper."""
