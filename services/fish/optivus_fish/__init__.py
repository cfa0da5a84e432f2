"""Text-to-speech service (optivus.tts.v1): Fish Speech (OpenAudio S1) with
voice-cloning references, and Piper as the offline default voice."""
